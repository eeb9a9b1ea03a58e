"""Talking to PayPal: the maintained server SDK where it has the call, plain HTTPS where not.

The SDK (paypal-server-sdk) covers orders, captures, refunds, plans and subscriptions; catalog
products and webhook verification go through `PayPalHttp` to the same PAYPAL_API_BASE.
"""

import time
from typing import Any

import requests
from paypalserversdk.configuration import Configuration, Server
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient


class BaseUrlConfiguration(Configuration):
    """The SDK's configuration with every request (OAuth included) sent to PAYPAL_API_BASE.

    SDK 2.4 only knows its sandbox and live hosts; it asks get_base_uri() on each request, and
    its clone_with() would return a plain Configuration, so both are overridden.
    """

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        self.base_url = base_url.rstrip("/")
        super().__init__(**kwargs)

    def get_base_uri(self, server: Server = Server.DEFAULT) -> str:
        return self.base_url

    def clone_with(self, **overrides: Any) -> "BaseUrlConfiguration":
        plain = super().clone_with(**overrides)
        return BaseUrlConfiguration(
            self.base_url, http_client_instance=plain.http_client_instance,
            override_http_client_configuration=plain.override_http_client_configuration,
            http_call_back=plain.http_callback, timeout=plain.timeout,
            max_retries=plain.max_retries, backoff_factor=plain.backoff_factor,
            retry_statuses=plain.retry_statuses, retry_methods=plain.retry_methods,
            proxy_settings=plain.proxy_settings, logging_configuration=plain.logging_configuration,
            environment=plain.environment,
            client_credentials_auth_credentials=plain.client_credentials_auth_credentials)


def sdk_client(base_url: str, client_id: str, secret: str, timeout: float) -> PaypalServersdkClient:
    credentials = ClientCredentialsAuthCredentials(o_auth_client_id=client_id,
                                                   o_auth_client_secret=secret)
    return PaypalServersdkClient(config=BaseUrlConfiguration(
        base_url, client_credentials_auth_credentials=credentials, timeout=timeout))


class PayPalHttp:
    """The few REST calls the SDK lacks, with our own cached OAuth token."""

    def __init__(self, base_url: str, client_id: str, secret: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = (client_id, secret)
        self.timeout = timeout
        self._token: tuple[str, float] | None = None

    def _bearer(self) -> str:
        if self._token is None or self._token[1] < time.time() + 60:
            answer = requests.post(f"{self.base_url}/v1/oauth2/token", auth=self.auth,
                                   data={"grant_type": "client_credentials"},
                                   timeout=self.timeout)
            answer.raise_for_status()
            body = answer.json()
            self._token = (body["access_token"], time.time() + int(body["expires_in"]))
        return self._token[0]

    def post(self, path: str, body: dict, request_id: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self._bearer()}", "Prefer": "return=representation"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        answer = requests.post(f"{self.base_url}{path}", json=body, headers=headers,
                               timeout=self.timeout)
        answer.raise_for_status()
        return answer.json()
