"""The operations the control channel offers, bound to a running DevLoop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmplug.devloop.loop import DevLoop


def handlers(loop: DevLoop) -> dict[str, Any]:
    def fire(request: dict[str, Any]) -> Any:
        from mmplug.host.events import decode_message

        message = decode_message(request.get("request"), None)
        limit = request.get("hook_timeout")
        event = loop.fire(str(request["hook"]), message, request.get("plugin_id"),
                          hook_timeout=float(limit) if limit else None,
                          **dict(request.get("fields") or {}))
        return event.to_dict("bytes" if request.get("binary") else "b64")

    def status(_request: dict[str, Any]) -> Any:
        return {
            "plugins": [s.as_dict() for s in loop.status.values()],
            "front_door": loop.front_door.url if loop.front_door else None,
            "store": str(getattr(loop.session.store, "path", "")) if loop.session else None,
            "nodes": list(loop.session.node_names) if loop.session else [""],
        }

    def reload(request: dict[str, Any]) -> Any:
        session = loop._session()
        handle = session.plugin(request.get("plugin_id"))
        return loop.reload(handle.id, "requested from the control channel").as_dict()

    def ping(_request: dict[str, Any]) -> Any:
        return "pong"

    def clock(request: dict[str, Any]) -> Any:
        session = loop._session()
        advance, to = request.get("advance"), request.get("to")
        with loop._lock:  # no reload starts while the clock moves the plugins' jobs
            return session.clock.command(
                advance=None if advance is None else str(advance),
                to=None if to is None else str(to),
                data_retention=bool(request.get("data_retention")))

    return {"fire": fire, "status": status, "reload": reload, "ping": ping, "clock": clock}
