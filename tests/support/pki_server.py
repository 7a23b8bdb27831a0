"""The test PKI's services on loopback, in a process of their own (see tests.support.testpki).

``python -m tests.support.pki_server DIR`` makes EC keys, writes a certomancer configuration for a
root, an intermediate, two signers (one revoked), two timestamp authorities (one whose
certificate expires in :data:`SHORT_TSA_DAYS` days), an OCSP responder and
CRLs, binds a loopback port, writes what the tests need into DIR (``root.pem``, ``signer.p12``,
``revoked.p12``, ``urls.json``), prints ``READY <port>`` and serves certomancer's animator (OCSP,
CRL, TSA) until it is ended. While ``DIR/revocation-down`` exists the OCSP and CRL services answer
503, as an unreachable revocation service would.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

ARCH = "sealbox-test"
P12_PASSPHRASE = b"test-passphrase"
KEYS = ("root", "interm", "interm-ocsp", "tsa", "tsa-short", "signer", "revoked")
#: How long the short-lived timestamp authority's certificate is valid from now (the renewal
#: tests move the validation time past it).
SHORT_TSA_DAYS = 30

_VALID = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2050-01-01T00:00:00+0000"}


def _usage(*usages: str) -> dict[str, Any]:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": list(usages)},
    }


def _crl_dp(repo: str) -> dict[str, Any]:
    return {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [repo]}},
    }


_CA = [
    {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
    _usage("digital_signature", "key_cert_sign", "crl_sign"),
]
_SIGNER = [
    _usage("digital_signature", "non_repudiation"),
    _crl_dp("interm"),
    {
        "id": "authority_information_access",
        "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}},
    },
]

CONFIG: dict[str, Any] = {
    "keysets": {"test": {"keys": {k: {"path": f"{k}.key.pem"} for k in KEYS}}},
    "pki-architectures": {
        ARCH: {
            "keyset": "test",
            "entity-defaults": {"country-name": "BE", "organization-name": "Sealbox Test PKI"},
            "entities": {
                "root": {"common-name": "Test Root CA"},
                "interm": {"common-name": "Test Intermediate CA"},
                "interm-ocsp": {"common-name": "Test OCSP Responder"},
                "tsa": {"common-name": "Test Timestamp Authority"},
                "tsa-short": {"common-name": "Test Short-lived Timestamp Authority"},
                "signer": {"common-name": "Test Office Seal"},
                "revoked": {"common-name": "Test Revoked Seal"},
            },
            "certs": {
                "root": {
                    "subject": "root",
                    "issuer": "root",
                    "validity": _VALID,
                    "extensions": _CA,
                },
                "interm": {
                    "issuer": "root",
                    "validity": _VALID,
                    "extensions": [*_CA, _crl_dp("root")],
                },
                "interm-ocsp": {
                    "issuer": "interm",
                    "validity": _VALID,
                    "extensions": [
                        _usage("digital_signature"),
                        {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                        {"id": "ocsp_no_check"},
                    ],
                },
                "tsa": {
                    "issuer": "root",
                    "validity": _VALID,
                    "extensions": [
                        _usage("digital_signature"),
                        {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                        _crl_dp("root"),
                    ],
                },
                "signer": {"issuer": "interm", "validity": _VALID, "extensions": _SIGNER},
                "revoked": {
                    "issuer": "interm",
                    "validity": _VALID,
                    "extensions": _SIGNER,
                    "revocation": {
                        "revoked-since": "2021-01-01T00:00:00+0000",
                        "reason": "key_compromise",
                    },
                },
            },
            "services": {
                "ocsp": {
                    "interm": {
                        "for-issuer": "interm",
                        "responder-cert": "interm-ocsp",
                        "signing-key": "interm-ocsp",
                    }
                },
                "crl-repo": {
                    "root": {
                        "for-issuer": "root",
                        "signing-key": "root",
                        "simulated-update-schedule": "P90D",
                    },
                    "interm": {
                        "for-issuer": "interm",
                        "signing-key": "interm",
                        "simulated-update-schedule": "P7D",
                    },
                },
                "time-stamping": {
                    "tsa": {"signing-key": "tsa", "signing-cert": "tsa"},
                    "tsa-short": {"signing-key": "tsa-short", "signing-cert": "tsa-short"},
                },
            },
        }
    },
}


def _write_keys(directory: Path) -> None:
    for name in KEYS:
        key = ec.generate_private_key(ec.SECP256R1())
        (directory / f"{name}.key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def _short_tsa_cert() -> dict[str, Any]:
    """The short-lived authority's certificate: like the other one's, but it expires
    :data:`SHORT_TSA_DAYS` days from now."""
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=SHORT_TSA_DAYS)
    return {
        "subject": "tsa-short",
        "issuer": "root",
        "validity": {**_VALID, "valid-to": until.strftime("%Y-%m-%dT%H:%M:%S+0000")},
        "extensions": CONFIG["pki-architectures"][ARCH]["certs"]["tsa"]["extensions"],
    }


def main(directory: Path) -> None:
    _write_keys(directory)
    CONFIG["pki-architectures"][ARCH]["certs"]["tsa-short"] = _short_tsa_cert()
    # Bind first: the certificates carry the services' URLs, so they need the port.
    server = make_server("127.0.0.1", 0, _unavailable)
    prefix = f"http://127.0.0.1:{server.server_port}"
    config = CertomancerConfig(CONFIG, key_search_dir=str(directory), external_url_prefix=prefix)
    arch = config.get_pki_arch(ArchLabel(ARCH))
    (directory / "root.pem").write_bytes(arch.get_cert(CertLabel("root")).dump())
    for label in ("signer", "revoked"):
        (directory / f"{label}.p12").write_bytes(
            arch.package_pkcs12(CertLabel(label), password=P12_PASSPHRASE)
        )
    (directory / "urls.json").write_text(
        json.dumps(
            {
                "tsa": f"{prefix}/{ARCH}/tsa/tsa",
                "tsaShort": f"{prefix}/{ARCH}/tsa/tsa-short",
                "prefix": prefix,
            }
        ),
        encoding="utf-8",
    )
    animator = Animator(AnimatorArchStore({ArchLabel(ARCH): arch}), with_web_ui=False)
    down = directory / "revocation-down"

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        if down.exists() and ("/ocsp/" in path or "/crls/" in path):
            return Response("revocation service down", status=503)(environ, start_response)
        return animator(environ, start_response)

    server.app = app
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()


def _unavailable(environ: dict[str, Any], start_response: Any) -> Any:
    return Response("starting", status=503)(environ, start_response)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
