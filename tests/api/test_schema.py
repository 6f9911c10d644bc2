"""What the OpenAPI schema promises partners: a summary and a partner-facing description on every
operation, every 4xx with the one error shape, and both ways of sending the token."""

import pytest


@pytest.fixture
def schema(client, db):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_has_a_summary_and_a_description_for_partners(schema):
    # then each operation says what it does, and no internal docstring leaks into it
    for path, method, operation in _operations(schema):
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)
        assert "self." not in operation["description"] and "``" not in operation["description"], (method, path)


def test_every_error_answer_has_the_error_shape(schema):
    # given the Error component, shaped as core.api.errors answers
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "detail"]
    assert error["properties"]["fields"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    assert {"current", "requested", "allowed"} <= set(error["properties"])

    # then every 4xx of every operation refers to it
    for path, method, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_each_operation_documents_the_errors_it_can_give(schema):
    paths = schema["paths"]

    def codes(path, method):
        return set(paths[path][method]["responses"])

    # every operation: 400, 401, 403, 429 (with Retry-After)
    for path, method, operation in _operations(schema):
        assert {"400", "401", "403", "429"} <= codes(path, method), (method, path)
        assert "Retry-After" in operation["responses"]["429"]["headers"]
    # one object: 404, and no body errors on a read
    assert "404" in codes("/api/v1/orders/{id}/", "get")
    assert not {"413", "415"} & codes("/api/v1/orders/{id}/", "get")
    # a write: 400, 409, 413, 415, and 422 for a reused Idempotency-Key
    assert {"400", "409", "413", "415", "422"} <= codes("/api/v1/orders/", "post")
    # a status change: 409
    for path in (
        "/api/v1/orders/{id}/transition/",
        "/api/v1/returns/{id}/transition/",
        "/api/v1/shipments/{id}/events/",
    ):
        assert {"400", "404", "409", "422"} <= codes(path, "post"), path


def test_the_token_is_accepted_as_bearer_or_token(schema):
    # then both schemes are described, and either one is enough
    schemes = schema["components"]["securitySchemes"]
    assert schemes["partnerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["partnerToken"]["description"],
    }
    assert schemes["partnerTokenKeyword"]["in"] == "header"
    assert schemes["partnerTokenKeyword"]["name"] == "Authorization"
    for path, method, operation in _operations(schema):
        assert operation["security"] == [{"partnerToken": []}, {"partnerTokenKeyword": []}], (method, path)


def test_a_token_sent_as_token_works_like_bearer(partner_factory, channel):
    # given a partner's token sent with the Token keyword
    _, client = partner_factory(channel)
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    # then it is accepted
    assert client.get("/api/v1/orders/").status_code == 200


def test_an_id_that_is_not_a_number_gets_the_json_404(partner_client):
    # when an object is asked for by an id with a dot
    response = partner_client.get("/api/v1/orders/1.5/")

    # then the answer is the API's error, not the site's HTML page
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
