"""Check my work: a JupyterHub service beside Formgrader (deploy/jupyterhub_config.py starts it,
as the grader account, with the course folder and the gradebook).

A student, logged in to the hub (its OAuth: jupyterhub.services.auth.HubOAuthenticated), sends a
notebook of an assignment; the service grades it with `make grade`'s own steps (grading/check.py:
the same sandbox, settings and verdicts) and answers with each test's verdict, never a grade.
The student is who the hub says they are: the API takes no student name, so nobody checks
another's notebook or reads another's checks; the limits live in the gradebook's database
(grading/check_store.py), which only the instructor's commands write.

    GET  <prefix>                        the page (deploy/check_service.html): Check per assignment
    GET  <prefix>api/assignments         the assignments, the student's own deadline, checks left
    POST <prefix>api/checks/<assignment> {"notebooks": {"<file>.ipynb": <notebook>}}: 202 and
                                         {id, position}, or 429 (limit), 403 (deadline), 503 (queue full)
    GET  <prefix>api/checks/<id>         the check's state, queue position, then its verdicts
    GET  <prefix>api/checks?assignment=  the student's own checks, newest first
    GET  <prefix>api/mine/<assignment>   the assignment's notebooks as they are now on the student's
                                         own server ({"notebooks": {file: text}, "paths": [...]}), 404
    POST <prefix>api/checks/<assignment> {"from_server": true}: checks those, as the page's Check does

The student's notebooks: the hub's OAuth gives the service, for the student logged in, a token
with `access:servers!user` (their own server only: deploy/jupyterhub_config.py's
oauth_client_allowed_scopes), and the service reads <course>/<assignment>/<file> (then
<assignment>/<file>) from that server's contents API with it (token auth, so no XSRF token is
needed). The server is always /user/<the hub's name for the requester>/, never a name from the
request; the token is used for that one request, never logged or stored.

Queue: bounded (COURSE_CHECK_QUEUE, default 1000 checks; COURSE_CHECK_PER_STUDENT, default 2,
waiting per student) and fair: the workers (COURSE_CHECK_WORKERS, default the cores) take the
students in turn, one check each, so a student pressing ten times waits behind everyone else.

Run by hand (tests, a trial): JUPYTERHUB_* variables as the hub sets them, then
    python deploy/check_service.py --course <folder> [--port 9998] [--no-sandbox]
"""
import argparse
import asyncio
import collections
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tornado import web
from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join

DEPLOY = Path(__file__).resolve().parent
PAGE = DEPLOY / "check_service.html"


class Full(Exception):
    """The queue cannot take this check now (said to the student, who may press again later)."""


@dataclass(eq=False)
class Job:
    id: str
    student: str
    assignment: str
    notebooks: dict
    digest: str
    late: bool
    state: str = "queued"        # queued, running, done, failed
    answer: dict = None
    error: str = ""
    queued_at: float = field(default_factory=time.monotonic)


class FairQueue:
    """Checks waiting, taken one student at a time in turn (round robin), at most `capacity` in
    all and `per_student` for one student."""

    def __init__(self, capacity=1000, per_student=2):
        self.capacity, self.per_student = capacity, per_student
        self.waiting = {}                      # student -> deque of Jobs
        self.turn = collections.deque()        # students with a check waiting, in turn order
        self.size = 0
        self.ready = asyncio.Condition()

    def room_for(self, student):
        """Why `student` cannot queue a check now, or ''."""
        if self.size >= self.capacity:
            return f"the queue is full ({self.capacity} checks waiting): try again in a minute"
        if len(self.waiting.get(student, ())) >= self.per_student:
            return f"you already have {self.per_student} checks waiting: wait for their verdicts"
        return ""

    async def put(self, job):
        why = self.room_for(job.student)
        if why:
            raise Full(why)
        if job.student not in self.waiting:
            self.waiting[job.student] = collections.deque()
            self.turn.append(job.student)
        self.waiting[job.student].append(job)
        self.size += 1
        async with self.ready:
            self.ready.notify()

    async def get(self):
        async with self.ready:
            await self.ready.wait_for(lambda: self.size > 0)
        student = self.turn.popleft()
        queue = self.waiting[student]
        job = queue.popleft()
        if queue:
            self.turn.append(student)
        else:
            del self.waiting[student]
        self.size -= 1
        return job

    def position(self, job):
        """How many checks will be taken before `job` (0: it is next), or None when not waiting."""
        ahead = 0
        depth = {s: list(q) for s, q in self.waiting.items()}
        for level in range(self.per_student):
            for student in self.turn:
                jobs = depth.get(student, [])
                if level < len(jobs):
                    if jobs[level] is job:
                        return ahead
                    ahead += 1
        return None


class Service:
    """The checker, the queue and the gradebook's session: everything runs on the event loop's
    thread except preparing/judging (one thread) and executing (the grader's worker processes)."""

    def __init__(self, root, settings, capacity=1000, per_student=2, workers=None, clock=time.time):
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        from grading import check, course
        self.root = Path(root).resolve()
        self.checker = check.Checker(self.root, settings)
        self.workers = workers or settings.workers
        self.queue = FairQueue(capacity, per_student)
        self.jobs = {}
        self.clock = clock
        self.db_url = course.nbgrader_api(self.root).coursedir.db_url
        self.session = Session(create_engine(self.db_url, future=True))
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="check-prepare")
        self.assignments = [a for a in course.assignments(self.root) if (self.root / "release" / a).is_dir()]
        self.executed = collections.Counter()   # check id -> times executed (the load benchmark reads it)
        self.tasks = []

    def start(self):
        self.tasks = [asyncio.ensure_future(self._work()) for _ in range(self.workers)]

    def close(self):
        for task in self.tasks:
            task.cancel()
        self.checker.close()
        self.thread.shutdown(wait=False, cancel_futures=True)
        self.session.close()

    async def _work(self):
        from grading import check_store
        loop = asyncio.get_running_loop()
        while True:
            job = await self.queue.get()
            job.state = "running"
            self.executed[job.id] += 1
            print(f"check {job.id} executing ({job.assignment}, {job.student})", file=sys.stderr, flush=True)
            try:
                future, problems, a, digest = await loop.run_in_executor(
                    self.thread, self.checker.submit, job.assignment, job.student, job.notebooks)
                if future is not None:
                    await asyncio.wrap_future(future)
                result = await loop.run_in_executor(
                    self.thread, self.checker.finish, future, problems, a, job.student, digest)
                check_store.finish(self.session, job.id, result)
                job.answer, job.state = result.as_json(), "done"
            except Exception as err:   # the checker's own failure (or a notebook it refuses): not counted
                job.error = str(err).splitlines()[0][:300] if str(err) else type(err).__name__
                self.session.rollback()
                check_store.finish(self.session, job.id, failure=job.error)
                job.state = "failed"
            finally:
                job.notebooks = None

    def overview(self, student):
        from grading import check_store
        out = []
        for name in self.assignments:
            reason, is_late, left, own = check_store.standing(self.session, name, student, self.clock())
            out.append({"assignment": name, "notebooks": self.checker_files(name), "deadline": own,
                        "late": is_late, "left": left, "refused": reason})
        self.session.commit()
        return out

    def checker_files(self, name):
        from grading import check
        return check.notebook_files(self.root, name)

    async def submit(self, student, name, notebooks):
        """(HTTP status, answer) for `student` asking to check `notebooks` of `name`."""
        from grading import check, check_store
        if name not in self.assignments:
            return 404, {"reason": f"no assignment {name!r}"}
        files = set(self.checker_files(name))
        if not notebooks or not set(notebooks) <= files:
            return 400, {"reason": f"send the notebooks of {name}: {', '.join(sorted(files))}"}
        data = {}
        for filename, nb in notebooks.items():
            data[filename] = (nb if isinstance(nb, str) else json.dumps(nb)).encode()
        full = self.queue.room_for(student)
        if full:
            return 503, {"reason": full}
        digest = check.notebook_hash(data)
        decision = check_store.reserve(self.session, name, student, digest, self.clock(), self.db_url)
        answer = {"id": decision.check_id, "left": decision.left, "deadline": decision.deadline,
                  "late": decision.late}
        if not decision.allowed:
            return (403 if "deadline" in decision.reason else 429), dict(answer, reason=decision.reason)
        job = Job(decision.check_id, student, name, data, digest, decision.late)
        if len(self.jobs) > 10 * self.queue.capacity:   # finished ones are in the database too
            self.jobs = {k: j for k, j in self.jobs.items() if j.state in ("queued", "running")}
        self.jobs[job.id] = job
        await self.queue.put(job)   # room checked above, on this same thread: it cannot fail now
        return 202, dict(answer, state=job.state, position=self.queue.position(job))

    def status(self, student, check_id):
        from grading import check_store
        job = self.jobs.get(check_id)
        if job is not None and job.student == student:
            return {"id": job.id, "assignment": job.assignment, "state": job.state, "late": job.late,
                    "position": self.queue.position(job), "result": job.answer, "reason": job.error}
        found = check_store.result_of(self.session, check_id, student)
        self.session.commit()
        if found is None:
            return None
        state, answer, is_late, reason = found
        return {"id": check_id, "state": state, "late": is_late, "position": None, "result": answer, "reason": reason}


class Handler(HubOAuthenticated, web.RequestHandler):
    @property
    def service(self):
        return self.settings["check_service"]

    def student(self):
        user = self.current_user
        if not user:
            raise web.HTTPError(403)
        return user["name"]

    async def own_notebooks(self, name):
        """(status, answer): the notebooks of assignment `name` read from the requester's own server
        with the requester's own token (see the module's docstring)."""
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError
        from urllib.parse import urlsplit

        from tornado.escape import url_escape
        service = self.service
        if name not in service.assignments:
            return 404, {"reason": f"no assignment {name!r}"}
        token = self.hub_auth.get_token(self)
        if not token:
            return 403, {"reason": "log in to the hub again"}
        hub = urlsplit(self.settings["hub_url"])   # the proxy's address; the path is base_url
        server = url_path_join(f"{hub.scheme}://{hub.netloc}", self.settings["base_url"], "user",
                               url_escape(self.student(), plus=False), "api/contents")
        client, found, paths = AsyncHTTPClient(), {}, []
        for filename in service.checker_files(name):
            for folder in ([self.settings["course_id"], name], [name]):
                path = "/".join(url_escape(part, plus=False) for part in (*folder, filename))
                try:
                    r = await client.fetch(f"{server}/{path}?content=1&type=notebook", headers={
                        "Authorization": f"token {token}"}, follow_redirects=False, request_timeout=30)
                except HTTPClientError as err:
                    if err.code == 404:
                        continue
                    why = {403: "the hub did not let Check my work read your server: log out and in again",
                           599: "your server did not answer"}.get(err.code, "your server is not running: start it")
                    return 502, {"reason": why}
                except OSError:
                    return 502, {"reason": "your server did not answer"}
                model = json.loads(r.body)
                found[filename] = json.dumps(model["content"])
                paths.append("/".join((*folder, filename)))
                break
        if not found:
            wanted = ", ".join(f"{self.settings['course_id']}/{name}/{f}" for f in service.checker_files(name))
            return 404, {"reason": f"no {wanted} on your server: fetch the assignment, or choose the file"}
        return 200, {"notebooks": found, "paths": paths}

    def answer(self, status, body):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))


class PageHandler(Handler):
    @web.authenticated
    def get(self):
        page = PAGE.read_text()
        config = {"user": self.student(), "prefix": self.settings["prefix"], "xsrf": self.xsrf_token.decode(),
                  "hub_user_prefix": url_path_join(self.settings["base_url"], "user", self.student()) + "/",
                  "course": self.settings["course_id"]}
        self.set_header("Cache-Control", "no-store")
        page = page.replace("/*CONFIG*/{}", json.dumps(config).replace("</", "<\\/"))
        self.finish(page.replace("</body>", FROM_SERVER + "</body>", 1))


# Check without choosing a file: the page's check() sends the file chosen; with none chosen, this
# first puts there the notebook read from the student's own server (GET api/mine/<assignment>).
FROM_SERVER = """<script>
const checkChosen = check;
check = async function (box, a) {
  const input = box.querySelector("input[type=file]");
  if (!input.files.length) {
    show(box, "<p class='muted'>reading your notebook from your server…</p>");
    const r = await api(`api/mine/${encodeURIComponent(a.assignment)}`);
    const found = await r.json();
    if (r.status !== 200) { show(box, `<p class="fail">${esc(found.reason)}</p>`); return; }
    const files = new DataTransfer();
    for (const [name, text] of Object.entries(found.notebooks)) files.items.add(new File([text], name));
    input.files = files.files;
    box.querySelector("label").firstChild.textContent = `checking ${found.paths.join(", ")} from your server (or choose another file: `;
  }
  return checkChosen(box, a);
};
new MutationObserver(() => { for (const label of document.querySelectorAll("#assignments label:not(.relabelled)")) {
  label.classList.add("relabelled"); label.firstChild.textContent = "(or choose another file: "; label.append(")"); }
}).observe(document.getElementById("assignments"), {childList: true});
</script>
"""


class AssignmentsHandler(Handler):
    @web.authenticated
    def get(self):
        self.answer(200, self.service.overview(self.student()))


class ChecksHandler(Handler):
    @web.authenticated
    async def post(self, name):
        student = self.student()
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            return self.answer(400, {"reason": "the request is not JSON"})
        if not isinstance(body, dict) or not isinstance(body.get("notebooks", {}), dict) or (
                "notebooks" not in body and body.get("from_server") is not True):
            return self.answer(400, {"reason": 'send {"notebooks": {"<file>.ipynb": <notebook>}}'})
        if body.get("student") not in (None, student):
            return self.answer(403, {"reason": "you can check only your own work"})
        if body.get("from_server") is True and "notebooks" not in body:
            status, found = await self.own_notebooks(name)
            if status != 200:
                return self.answer(status, found)
            body["notebooks"] = found["notebooks"]
        status, out = await self.service.submit(student, name, body["notebooks"])
        self.answer(status, out)

    @web.authenticated
    def get(self, name=None):
        from grading import check_store
        name = name or self.get_argument("assignment", "")
        if self.get_argument("student", self.student()) != self.student():
            return self.answer(403, {"reason": "you can read only your own checks"})
        if name not in self.service.assignments:
            return self.answer(404, {"reason": f"no assignment {name!r}"})
        found = check_store.history(self.service.session, name, self.student())
        self.service.session.commit()
        self.answer(200, found)


class MineHandler(Handler):
    @web.authenticated
    async def get(self, name):
        if self.get_argument("student", self.student()) != self.student():
            return self.answer(403, {"reason": "you can read only your own notebooks"})
        self.answer(*await self.own_notebooks(name))


class CheckHandler(Handler):
    @web.authenticated
    def get(self, check_id):
        found = self.service.status(self.student(), check_id)
        if found is None:
            return self.answer(404, {"reason": "no such check of yours"})
        self.answer(200, found)


def make_app(service, prefix, course_id):
    routes = [
        (prefix, PageHandler),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
        (url_path_join(prefix, "api/assignments"), AssignmentsHandler),
        (url_path_join(prefix, "api/checks"), ChecksHandler),
        (url_path_join(prefix, r"api/checks/([0-9a-f]{32})"), CheckHandler),
        (url_path_join(prefix, r"api/checks/([A-Za-z0-9_.-]+)"), ChecksHandler),
        (url_path_join(prefix, r"api/mine/([A-Za-z0-9_.-]+)"), MineHandler),
    ]
    from grading import course
    return web.Application(routes, check_service=service, prefix=prefix, course_id=course_id,
                           base_url=os.environ.get("JUPYTERHUB_BASE_URL", "/"),
                           hub_url=os.environ.get("COURSE_HUB_URL", "http://127.0.0.1:8000"),
                           cookie_secret=os.urandom(32), max_body_size=course.MAX_NOTEBOOK_BYTES + 2**20)


class NotReady(web.RequestHandler):
    """Every request while the course folder is not set up yet: a page that says so (200, which the
    hub's start-up check needs), and 503 to any check sent."""
    MESSAGE = "Check my work starts once the course is set up in its folder; ask your instructor."

    def prepare(self):
        if self.request.method not in ("GET", "HEAD"):
            self.set_status(503)
        self.finish(self.MESSAGE)


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--course", default=os.environ.get("COURSE_ROOT", "."))
    p.add_argument("--port", type=int, default=None, help="default: the port of JUPYTERHUB_SERVICE_URL")
    p.add_argument("--no-sandbox", action="store_true", help="run kernels without bubblewrap (trusted notebooks only)")
    return p


async def serve(args):
    from urllib.parse import urlsplit

    from grading.settings import Settings
    env = os.environ.get
    settings = Settings(sandbox=not args.no_sandbox, workers=int(env("COURSE_CHECK_WORKERS", "0")) or os.cpu_count() or 1)
    url = urlsplit(env("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:9998"))
    where = (args.port or url.port, url.hostname or "127.0.0.1")
    # A fresh hub's course folder is empty until the instructor puts the course there: answer 503
    # until its nbgrader_config.py exists (the hub stops when a service it manages cannot be reached).
    if not (Path(args.course) / "nbgrader_config.py").is_file():
        print(f"Check my work: waiting for the course in {args.course} (no nbgrader_config.py yet)",
              file=sys.stderr, flush=True)
        waiting = web.Application([(r".*", NotReady)]).listen(*where)
        while not (Path(args.course) / "nbgrader_config.py").is_file():
            await asyncio.sleep(5)
        waiting.stop()
    service = Service(args.course, settings, capacity=int(env("COURSE_CHECK_QUEUE", "1000")),
                      per_student=int(env("COURSE_CHECK_PER_STUDENT", "2")))
    service.start()
    prefix = env("JUPYTERHUB_SERVICE_PREFIX", "/services/check/")
    app = make_app(service, prefix, env("COURSE_ID", "dl-course"))
    app.listen(*where)
    print(f"Check my work: {args.course} at {prefix} ({settings.workers} workers, "
          f"{'sandboxed' if settings.sandbox else 'NOT sandboxed'})", file=sys.stderr, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        service.close()


def main(argv=None):
    args = parser().parse_args(argv)
    sys.path.insert(0, str(DEPLOY.parent))   # grading/ of the checkout the hub runs
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
