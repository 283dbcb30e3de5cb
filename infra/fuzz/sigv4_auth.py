"""Schemathesis hook: signs every generated request with AWS SigV4 (service execute-api), the way
the local server `sessions-local` (and API Gateway's IAM auth) expects, using botocore's signer.

Loaded by infra/fuzz/api through SCHEMATHESIS_HOOKS=sigv4_auth (with this directory on
PYTHONPATH). Credentials: SIGV4_ACCESS_KEY_ID / SIGV4_SECRET_ACCESS_KEY / SIGV4_REGION, by
default the local server's documented identity for Alice (not a secret; see
function/src/auth.rs LOCAL_KEYS).

Schemathesis is configured with the placeholder credential `Authorization: SIGV4` for the
spec's `sigv4` security scheme. A request that still carries exactly that placeholder when it
is sent is signed (the placeholder is replaced by the real signature); any other request is
left alone, so schemathesis' own auth probes (`ignored_auth`, `missing_required_header`,
negative cases without or with a made-up `Authorization`) reach the server unsigned and must
be refused with 401/403.

How it signs, and why:

- The signature is computed over the request *after* `requests` has prepared it (a
  `requests.auth.AuthBase` runs after the URL, headers and body are final), so what is signed
  is exactly what is sent: the final URL, the body bytes, the header values.
- The query is rewritten, before signing, into the canonical RFC 3986 form that both signers
  agree on. botocore signs the query as given (split on `&` and `=`, sorted, no re-encoding);
  the server's aws-sigv4 decodes it as `application/x-www-form-urlencoded` (`+` is a space,
  empty pieces dropped, invalid UTF-8 replaced by U+FFFD) and re-encodes everything except
  `A-Z a-z 0-9 - . _ ~`. `requests` sends a space as `+` and leaves `:`, `(`, `)` and the
  other sub-delimiters raw in a query it did not encode itself. Signed as given, each of
  `mine=a+b`, `mine=a:b`, `mine=(x)`, `limit=5&&mine=true` and `mine=%FF` is refused with 403
  invalid_signature; in canonical form each gets the router's own answer. The rewrite keeps
  the meaning: every key and value is decoded exactly the way the server decodes it and
  percent-encoded again, in the order generated. The one value that cannot be kept is a
  percent-encoded byte sequence that is not UTF-8: the server's signer replaces it by U+FFFD
  before signing, so it is sent as U+FFFD (%EF%BF%BD).
- A generated header is signed only when botocore and aws-sigv4 canonicalize its value the
  same way: visible ASCII and single spaces. botocore's Trimall collapses every Unicode
  whitespace (tabs too), aws-sigv4 only ASCII spaces, and the server refuses signed headers
  that are not visible ASCII. Such a header is still sent, just unsigned, which API Gateway
  allows too (only `host` and `x-amz-date` must be signed).
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlsplit, urlunsplit

import requests
import schemathesis
from botocore.auth import SIGNED_HEADERS_BLACKLIST, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials



def _alice() -> tuple[str, str]:
    """Alice's key id and secret: the first documented identity in infra/local/keys."""
    keys = Path(__file__).resolve().parents[1] / "local" / "keys"
    for line in keys.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key_id, secret, _arn = line.split()
            return key_id, secret
    raise RuntimeError(f"no identity in {keys}")


ACCESS_KEY_ID = os.environ.get("SIGV4_ACCESS_KEY_ID") or _alice()[0]
SECRET_ACCESS_KEY = os.environ.get("SIGV4_SECRET_ACCESS_KEY") or _alice()[1]
REGION = os.environ.get("SIGV4_REGION", "us-east-1")
SERVICE = "execute-api"
# The value schemathesis is given for the `sigv4` scheme; only requests carrying it are signed.
PLACEHOLDER = "SIGV4"

# Visible ASCII with single inner spaces, no leading or trailing space.
_STABLE_HEADER_VALUE = re.compile(r"^[\x21-\x7e]+( [\x21-\x7e]+)*$")


def _form_decode(raw: str) -> str:
    """Decodes one query key or value the way `form_urlencoded::parse` (aws-sigv4) does."""
    return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8", errors="replace")


def canonical_query(query: str) -> str:
    """The RFC 3986 form of `query` both signers agree on, in the generated order."""
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        pairs.append(
            quote(_form_decode(key), safe="-_.~") + "=" + quote(_form_decode(value), safe="-_.~")
        )
    return "&".join(pairs)


def _body_bytes(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        # http.client sends a str body as ISO-8859-1.
        return body.encode("iso-8859-1")
    raise TypeError(f"cannot sign a streamed body ({type(body).__name__})")


class SigV4(requests.auth.AuthBase):
    """Signs a prepared request in place (SigV4, execute-api)."""

    def __init__(self, access_key_id: str, secret_access_key: str, region: str) -> None:
        self.credentials = Credentials(access_key_id, secret_access_key)
        self.region = region

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.headers.get("Authorization") != PLACEHOLDER:
            return request
        parts = urlsplit(request.url)
        if parts.query:
            request.url = urlunsplit(parts._replace(query=canonical_query(parts.query)))
        body = _body_bytes(request.body)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            request.headers.pop(name, None)
        signed = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in SIGNED_HEADERS_BLACKLIST
            and isinstance(value, str)
            and _STABLE_HEADER_VALUE.match(value)
        }
        aws = AWSRequest(method=request.method, url=request.url, headers=signed, data=body)
        SigV4Auth(self.credentials, SERVICE, self.region).add_auth(aws)
        request.headers["X-Amz-Date"] = aws.headers["X-Amz-Date"]
        request.headers["Authorization"] = aws.headers["Authorization"]
        return request


SIGNER = SigV4(ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION)


# observed_at may be at most 300 s ahead of the server's clock, which a schema cannot say: most
# generated date-times lie in the future, so almost every generated upsert would stop at
# 400 invalid_timestamp and never reach the store. Half of those (chosen by the generated
# value's own second, so a run stays reproducible from its seed) get the current time instead.
MAX_SKEW = timedelta(seconds=300)


def _now_rfc3339() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _too_far_ahead(value: object) -> datetime | None:
    """`value` as a date-time beyond the skew the server allows, else None."""
    if not isinstance(value, str):
        return None
    try:
        observed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if observed.tzinfo is None or observed <= datetime.now(timezone.utc) + MAX_SKEW:
        return None
    return observed


@schemathesis.hook
def map_body(context, body):
    if not isinstance(body, dict):
        return body
    observed = _too_far_ahead(body.get("observed_at"))
    if observed is not None and observed.second % 2 == 0:
        body = {**body, "observed_at": _now_rfc3339()}
    return body


# deleteSession's optional `observed_at` query parameter obeys the same bound. There every
# schema-valid request must be accepted (positive_data_acceptance stays on for it: 200, 403 or
# 404), so each generated one beyond the bound gets the current time; the bound itself is
# covered by the router's and the end-to-end tests.
@schemathesis.hook
def map_query(context, query):
    if isinstance(query, dict) and _too_far_ahead(query.get("observed_at")) is not None:
        query = {**query, "observed_at": _now_rfc3339()}
    return query


@schemathesis.hook
def before_call(context, case, kwargs):
    """Every request schemathesis sends goes through `SIGNER` once `requests` has prepared it
    (which signs those that carry the placeholder).

    A NUL byte is removed from generated header names and values: HTTP/1.1 forbids it in a
    header line (RFC 9110 5.5), so such a request is not HTTP and never reaches the API; the
    server's HTTP parser (hyper) refuses it with a bare 400 before any application code runs.
    Every other byte is sent as generated (the server drops header lines with other forbidden
    bytes and answers the rest itself)."""
    if case.headers and any("\0" in f"{k}{v}" for k, v in case.headers.items()):
        case.headers = {
            k.replace("\0", ""): v.replace("\0", "") if isinstance(v, str) else v
            for k, v in case.headers.items()
            if k.replace("\0", "")
        }
    kwargs["auth"] = SIGNER
