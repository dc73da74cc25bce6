"""nbgrader in every user's server on the course hub (JUPYTER_CONFIG_PATH, set by the hub's spawner).

The hub's groups say which courses a user takes (nbgrader-<course>) or grades (formgrade-<course>);
the exchange is shared by every course on the hub, one folder per course (path_includes_course).
"""
import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821
c.Authenticator.plugin_class = JupyterHubAuthPlugin
c.Exchange.path_includes_course = True
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
