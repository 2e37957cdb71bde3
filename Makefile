# orgsim: two commands on a fresh machine.
#   make demo   runs the main job: email_gatekept, social_business and change_programme, replicated
#   make test   runs the full test suite
# Both create .venv on first use with a Python >= 3.12 found by scripts/find-python.

VENV     := .venv
VPY      := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
PYTEST_W := -W error::DeprecationWarning -W error::FutureWarning

.PHONY: demo test bench clean-venv

$(STAMP): pyproject.toml
	@PY=$$(scripts/find-python) || exit 1; \
	  echo "orgsim: creating $(VENV) with $$PY"; \
	  [ -x $(VPY) ] || $$PY -m venv $(VENV) || exit 1
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[test,dashboard,notebook,discovery]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/orgsim compare scenarios/email_gatekept.toml scenarios/social_business.toml scenarios/change_programme.toml

test: $(STAMP)
	scripts/ensure-chromium
	$(VPY) -m pytest $(PYTEST_W) $(PYTEST_ARGS)

bench: $(STAMP)
	$(VPY) benchmarks/bench_model.py

clean-venv:
	rm -rf $(VENV)
