"""Route-walk samples (a robot of team A) and a local HTTP server that plays a chat platform in tests."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _robot(world):
    from portal.core.db import db
    from portal.robots.models import Robot

    robot = Robot(team_id=world.team_a.id, name="Team A group", platform="wecom",
                  url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", events=["task_assigned_team"],
                  created_by_id=world.director_a.id)
    db.session.add(robot)
    db.session.commit()
    return robot.id


FACTORIES = {"robot_id": _robot}


class RecordingServer:
    """Listens on 127.0.0.1 (port 0), records each POST and answers from a script of replies:
    ``replies`` is a list of (status, body) used in turn, then ``default``; ``delay`` seconds per answer."""

    def __init__(self):
        self.received: list[dict] = []
        self.replies: list[tuple[int, object]] = []
        self.default: tuple[int, object] = (200, {"errcode": 0, "errmsg": "ok"})
        self.delay = 0.0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                with server.lock:
                    server.received.append({"path": parts.path, "query": parse_qs(parts.query),
                                            "headers": dict(self.headers), "json": json.loads(raw or b"null")})
                    status, body = server.replies.pop(0) if server.replies else server.default
                if server.delay:
                    time.sleep(server.delay)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/robot/send?access_token=t0k") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _robot_message(world):
    from portal.core.db import db
    from portal.robots.models import RobotOutbox

    row = RobotOutbox(robot_id=_robot(world), event="task_assigned_team", title="t", body={"msgtype": "text"})
    db.session.add(row)
    db.session.commit()
    return row.id


FACTORIES["robot_message_id"] = _robot_message
