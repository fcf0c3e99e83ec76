"""Baseline for the authorize load run: a bare Litestar handler returning a 1 KB OCPI envelope."""

from litestar import Litestar, Response, post

_BODY = (b'{"data":{"allowed":"ALLOWED","token":{"country_code":"NL","party_id":"OCE","uid":"TOK0000001",'
         b'"type":"RFID","contract_id":"NL-OCE-C0000001","issuer":"ocpi-engine","valid":true,'
         b'"whitelist":"NEVER","last_updated":"2024-01-01T00:00:00Z"}},"status_code":1000,'
         b'"status_message":"Success","timestamp":"2024-01-01T00:00:00Z","padding":"' + b"x" * 640 + b'"}')


@post("/ocpi/2.2.1/emsp/tokens/{uid:str}/authorize", status_code=200, sync_to_thread=False)
def authorize(uid: str) -> Response[bytes]:
    return Response(content=_BODY, media_type="application/json")


app = Litestar(route_handlers=[authorize], logging_config=None)
