"""GET /openapi.json describes what the JSON endpoints really answer (checked by schemathesis).

Schemathesis generates requests from the document (up to 50 per operation) and sends them to
the app through WSGI; every answer must be documented, match its schema, and never be a 5xx.
The webhook operations get no valid signature, so 400 is their right answer here; their
signatures are tested with each provider (tests/payments).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
#: Each operation with valid inputs; those with a body also with invalid ones.
OPERATIONS = [("POST", "/donations", POSITIVE), ("POST", "/donations", NEGATIVE),
              ("GET", "/donations/{id}/status", POSITIVE),
              ("POST", "/newsletter", POSITIVE), ("POST", "/newsletter", NEGATIVE),
              ("POST", "/webhooks/{provider}", POSITIVE),
              ("POST", "/webhooks/{provider}", NEGATIVE),
              ("GET", "/healthz", POSITIVE)]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS)
def test_every_json_endpoint_answers_as_documented(app, method, path, mode):
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=50, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def answers_as_documented(case) -> None:
        case.call_and_validate(checks=CHECKS)

    answers_as_documented()


def test_the_document_is_openapi_3_1_and_names_every_json_endpoint(client):
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/donations", "/donations/{id}/status", "/newsletter",
                                      "/webhooks/{provider}", "/healthz"}
    answers = document["paths"]["/donations"]["post"]["responses"]
    assert {"201", "422", "429", "502"} <= set(answers)
    assert set(document["paths"]["/webhooks/{provider}"]["post"]["responses"]) >= {
        "200", "400", "503"}
    assert set(document["paths"]["/healthz"]["get"]["responses"]) == {"200", "503"}
