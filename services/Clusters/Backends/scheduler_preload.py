"""Runs inside dask-scheduler (``--preload``): reports where the scheduler listens and exposes a small
authenticated HTTP API on 127.0.0.1 so the Clusters service can observe and steer it.

Written out by the Clusters service's local backend; configured through environment variables:
PLATFORM_CLUSTER_READY_FD (a descriptor the service opened on its ready file; this process may not open that file
itself) and PLATFORM_CLUSTER_API_TOKEN.
"""

import asyncio
import hmac
import json
import logging
import os
import time

from tornado import web
from tornado.httpserver import HTTPServer

logger = logging.getLogger("distributed.scheduler.platform")

# How long the scheduler may go without task transitions before it counts as idle.
_STATE = {"transitions": -1, "idle_since": time.time()}


class _Handler(web.RequestHandler):
    def initialize(self, scheduler, token):
        self.scheduler = scheduler
        self.token = token

    def prepare(self):
        # Constant-time comparison: the token is the only thing guarding retire.
        supplied = self.request.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), ("Bearer " + self.token).encode()):
            raise web.HTTPError(401)

    def write_json(self, body):
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


def _idle_seconds(scheduler):
    busy = (
        getattr(scheduler, "queued", None)
        or scheduler.unrunnable
        or any(ws.processing for ws in scheduler.workers.values())
    )
    now = time.time()
    if busy or scheduler.transition_counter != _STATE["transitions"]:
        _STATE["transitions"] = scheduler.transition_counter
        _STATE["idle_since"] = now
        return 0.0
    return now - _STATE["idle_since"]


class StatusHandler(_Handler):
    def get(self):
        s = self.scheduler
        workers = [
            {"name": str(ws.name), "address": ws.address, "status": str(ws.status.name)}
            for ws in s.workers.values()
        ]
        self.write_json(
            {
                "address": s.address,
                "workers": workers,
                "adaptive_target": int(s.adaptive_target()),
                "idle_seconds": _idle_seconds(s),
                "tasks": len(s.tasks),
            }
        )


class RetireHandler(_Handler):
    async def post(self):
        names = json.loads(self.request.body or b"{}").get("names", [])
        known = {str(ws.name): ws.address for ws in self.scheduler.workers.values()}
        addresses = [known[n] for n in names if n in known]
        retired = {}
        if addresses:
            # Moves the workers' data to the remaining workers before closing them.
            retired = await self.scheduler.retire_workers(
                workers=addresses, close_workers=True, remove=True
            )
        self.write_json({"retired": [str(ws.get("name")) for ws in retired.values()]})


def _write_ready(fd, body):
    data = json.dumps(body).encode()
    while data:
        data = data[os.write(fd, data):]
    # Closed, so neither user code nor its children can rewrite what the service reads.
    os.close(fd)


async def dask_setup(scheduler):
    token = os.environ["PLATFORM_CLUSTER_API_TOKEN"]
    ready_fd = int(os.environ["PLATFORM_CLUSTER_READY_FD"])
    app = web.Application(
        [
            (r"/status", StatusHandler, {"scheduler": scheduler, "token": token}),
            (r"/retire", RetireHandler, {"scheduler": scheduler, "token": token}),
        ]
    )
    server = HTTPServer(app)
    sockets = __import__("tornado.netutil", fromlist=["bind_sockets"]).bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    api_port = sockets[0].getsockname()[1]
    dashboard = scheduler.services.get("dashboard")
    _write_ready(
        ready_fd,
        {
            "scheduler_address": scheduler.address,
            "dashboard_port": dashboard.port if dashboard is not None else None,
            "api_port": api_port,
            "pid": os.getpid(),
        },
    )
    logger.info("Platform API listening on 127.0.0.1:%d", api_port)
