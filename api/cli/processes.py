"""`cppcc serve --processes N`: the app in N worker processes behind one port (gunicorn).

One Python process runs one request's Python code at a time (the interpreter lock), so
waitress's threads share one core however many there are; several processes use every core.
The app is built once in the master (settings checked, schema upgraded, definitions parsed)
and the workers are forked from it: each one starts with the parsed definitions and opens
database connections of its own (the master's pool is dropped in every child without closing
the master's connections). Each worker runs `threads` threads (gthread), keeps client
connections alive, and is restarted by gunicorn if it dies. docs/deployment.md
"""
from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, app, options: dict):
        self.application, self.options = app, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def _fresh_pool(app):
    """A gunicorn post_fork hook: the child's database engine forgets the master's connections."""
    def post_fork(server, worker):
        app.extensions["cppcc"]["db"].engine.dispose(close=False)
    return post_fork


def serve_processes(app, host: str, port: int, processes: int, threads: int = 4) -> None:
    """Serve `app` on host:port with `processes` forked worker processes of `threads` threads."""
    _Server(app, {
        "bind": f"{host}:{port}", "workers": processes, "worker_class": "gthread", "threads": threads,
        "keepalive": 30, "timeout": 120, "graceful_timeout": 30, "post_fork": _fresh_pool(app),
        "accesslog": None, "errorlog": "-", "loglevel": "warning", "proc_name": "cppcc",
    }).run()
