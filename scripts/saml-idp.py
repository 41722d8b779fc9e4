#!/usr/bin/env python3
"""A SAML 2.0 identity provider for Udrul's login tests, on loopback.

pysaml2 (PyPI) does the protocol: it parses and checks the AuthnRequest
(including its redirect-binding signature when the service provider's
metadata has a certificate), and builds and signs the Response with Debian's
xmlsec1. What is left here is the web glue and OIOSAML 3's attributes.

  GET  /metadata          the IdP's metadata (signing certificate, SSO URL)
  POST /sp                registers a service provider: the body is its
                          metadata, as an administrator uploads it to
                          KOMBIT's Context Handler
  GET  /sso/redirect      the HTTP-Redirect binding: a login form where a
                          person types who they are
  POST /sso/login         answers with an auto-posting form that carries the
                          signed SAMLResponse to the service provider's ACS

/sso/login takes the redirect's query string (`query`) and the person:
`uuid`, `cvr`, `name`, `email`, `loa` (Low, Substantial, High). Two fields
exist for tests of the service provider's checks: `lifetime_minutes` (a
negative number makes an assertion that has already expired) and
`audience` (an assertion meant for another service provider); `sign_alg`
and `digest_alg` change the signature's algorithms (RSA-SHA256 otherwise).

Usage: saml-idp.py --port 9401 --dir /tmp/udrul-idp/saml
"""

import argparse
import base64
import datetime
import html
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.assertion import Policy
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
from saml2.server import Server

LOA = "https://data.gov.dk/concept/core/nsis/loa"
ATTRS = {
    "uuid": "https://data.gov.dk/model/core/eid/professional/uuid/persistent",
    "cvr": "https://data.gov.dk/model/core/eid/professional/cvr",
    "name": "https://data.gov.dk/model/core/eid/fullName",
    "email": "https://data.gov.dk/model/core/eid/email",
    "loa": LOA,
}
SPEC_VERSION = "https://data.gov.dk/model/core/specVersion"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def key_and_certificate(directory):
    """A 2048-bit RSA key and a self-signed certificate, made once."""
    key_path = os.path.join(directory, "idp.key")
    cert_path = os.path.join(directory, "idp.crt")
    if not (os.path.exists(key_path) and os.path.exists(cert_path)):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "udrul test idp")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        with open(key_path, "wb") as f:
            f.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.TraditionalOpenSSL,
                    serialization.NoEncryption(),
                )
            )
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def policy_rules(lifetime_minutes):
    return {
        "default": {
            "lifetime": {"minutes": lifetime_minutes},
            "attribute_restrictions": None,
            "name_form": NAME_FORMAT_URI,
        }
    }


class TestPolicy(Policy):
    """The default policy, with the assertion's audience replaceable."""

    def __init__(self, restrictions, mds, audience=None):
        super().__init__(restrictions, mds)
        self.audience = audience

    def conditions(self, sp_entity_id):
        return super().conditions(self.audience or sp_entity_id)


def make_server(base, directory):
    key_path, cert_path = key_and_certificate(directory)
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{base}/metadata",
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{base}/sso/redirect", BINDING_HTTP_REDIRECT),
                        ],
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": policy_rules(5),
                    # As KOMBIT's Context Handler (OIOSAML 3): requests are
                    # signed with the key in the service provider's metadata.
                    "want_authn_requests_signed": True,
                    "sign_assertion": True,
                    "sign_response": False,
                },
            },
            "key_file": key_path,
            "cert_file": cert_path,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "metadata": {},
        }
    )
    return Server(config=config)


class Handler(BaseHTTPRequestHandler):
    server_version = "udrul-test-idp"

    def log_message(self, fmt, *args):
        sys.stderr.write("saml-idp: " + (fmt % args) + "\n")

    def send(self, status, body, content_type="text/html; charset=utf-8"):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8")

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        idp = self.server.idp
        if url.path == "/metadata":
            xml = create_metadata_string(None, idp.config, valid=48).decode("utf-8")
            self.send(200, xml, "application/samlmetadata+xml")
        elif url.path == "/sso/redirect":
            query = html.escape(url.query)
            self.send(
                200,
                f"""<!doctype html><html lang="en"><title>Test IdP</title>
<form method="post" action="/sso/login">
<input type="hidden" name="query" value="{query}">
<label>UUID <input name="uuid" value="urn:uuid:0b4f7c2e-5a1d-4e8f-9c3b-6d2a1e0f7b95"></label>
<label>CVR or member <input name="cvr" value="101"></label>
<label>Name <input name="name" value="Test Person"></label>
<label>E-mail <input name="email" value="test.person@example.org"></label>
<label>Level <input name="loa" value="Substantial"></label>
<button>Log in</button></form>""",
            )
        elif url.path == "/health":
            self.send(200, "ok", "text/plain")
        else:
            self.send(404, "not found", "text/plain")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        idp = self.server.idp
        if url.path == "/sp":
            try:
                idp.metadata.load("inline", self.body())
            except Exception as e:  # noqa: BLE001 - a test's clear answer
                self.send(400, f"bad metadata: {e}", "text/plain")
                return
            self.send(204, "", "text/plain")
        elif url.path == "/sso/login":
            form = dict(urllib.parse.parse_qsl(self.body(), keep_blank_values=True))
            try:
                self.send(200, self.login(idp, form))
            except Exception as e:  # noqa: BLE001 - a test's clear answer
                self.log_message("login failed: %r", e)
                self.send(400, f"login failed: {e}", "text/plain")
        else:
            self.send(404, "not found", "text/plain")

    def login(self, idp, form):
        q = dict(urllib.parse.parse_qsl(form.get("query", "")))
        request = idp.parse_authn_request(
            q["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=q.get("RelayState"),
            sigalg=q.get("SigAlg"),
            signature=q.get("Signature"),
        )
        message = request.message
        sp = message.issuer.text
        acs = message.assertion_consumer_service_url
        if acs not in idp.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)[0]["location"]:
            raise ValueError(f"unknown ACS {acs}")
        loa = form.get("loa", "Substantial")
        identity = {ATTRS[k]: [form[k]] for k in ("uuid", "cvr", "name", "email") if form.get(k)}
        identity[LOA] = [loa]
        identity[SPEC_VERSION] = ["OIO-SAML-3.0"]
        policy = TestPolicy(
            policy_rules(int(form.get("lifetime_minutes") or 5)),
            idp.metadata,
            audience=form.get("audience") or None,
        )
        response = idp.create_authn_response(
            identity,
            in_response_to=message.id,
            destination=acs,
            sp_entity_id=sp,
            name_id=saml.NameID(format=NAMEID_FORMAT_PERSISTENT, text=form.get("uuid", "")),
            authn={"class_ref": f"{LOA}/{loa}"},
            sign_assertion=True,
            sign_response=False,
            sign_alg=form.get("sign_alg") or RSA_SHA256,
            digest_alg=form.get("digest_alg") or SHA256,
            release_policy=policy,
        )
        encoded = base64.b64encode(str(response).encode("utf-8")).decode("ascii")
        relay = html.escape(q.get("RelayState", ""))
        return f"""<!doctype html><html lang="en"><title>Test IdP</title>
<body onload="document.forms[0].submit()">
<form method="post" action="{html.escape(acs)}">
<input type="hidden" name="SAMLResponse" value="{encoded}">
<input type="hidden" name="RelayState" value="{relay}">
<noscript><button>Continue</button></noscript></form></body>"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9401)
    parser.add_argument("--dir", default="/tmp/udrul-idp/saml")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    base = f"http://127.0.0.1:{args.port}"
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.idp = make_server(base, args.dir)
    print(f"saml-idp: {base}/metadata", file=sys.stderr, flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
