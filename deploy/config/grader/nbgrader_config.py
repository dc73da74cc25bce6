"""nbgrader in the grader service (Formgrader) on the course hub (JUPYTER_CONFIG_PATH).

The course folder's own nbgrader_config.py (the service's working folder) adds the course: its
id, the gradebook (COURSE_DB_URL) and the exchange (COURSE_EXCHANGE).
"""
import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821
c.Authenticator.plugin_class = JupyterHubAuthPlugin
c.Exchange.path_includes_course = True
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
# Collection copies data only and dates each submission itself (grading/exchange.py).
c.ExchangeFactory.collect = "grading.exchange.SafeCollect"
