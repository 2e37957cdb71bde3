"""Collection settings for the whole repository (pytest's doctests import every module under sim/).

The dashboard's Solara modules need the ``dashboard`` extra (solara, solara-assets, ipyvue<2,
ipyvuetify<2); without it they are left out of collection instead of failing it, and the
dashboard's tests skip with the reason (tests/test_dashboard*.py).
"""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("solara") else ["sim/app.py", "sim/dashboard_panels.py"]
