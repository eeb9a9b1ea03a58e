"""GET /v1/reporting/transactions of FakePayPalServer: the captures, subscription sales,
refunds and reversals the fake has made, in the Transaction Search API's shape."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from .paypal_common import Call, fail, link, money, parse_time, reporting_time

#: PayPal transaction event codes
EVENT_CODES = {
    "capture": "T0006",  # PayPal Checkout APIs
    "sale": "T0002",  # subscription payment
    "refund": "T1107",  # payment refund, initiated by merchant
    "reversal": "T1106",  # payment reversal, initiated by PayPal
    "chargeback": "T1201",  # chargeback
}
_FIELDS = ("transaction_info", "payer_info", "shipping_info", "auction_info", "cart_info",
           "incentive_info", "store_info")


class ReportingApi:
    """Mixin: needs self.txns, self.refunds, self.merchant, self.now()."""

    def ledger(self) -> list[dict]:
        """Every balance-affecting transaction, oldest first, with a private "_time"."""
        rows = []
        for txn in self.txns.values():
            status = {"PENDING": "P", "DECLINED": "D", "FAILED": "D"}.get(txn.status, "S")
            if txn.status == "REFUNDED" and any(
                self.refunds[refund_id].kind != "refund" for refund_id in txn.refund_ids
            ):
                status = "V"  # reversed by PayPal (chargeback, dispute lost)
            info: dict[str, Any] = {"paypal_account_id": txn.payer.payer_id,
                                    "transaction_id": txn.id}
            if txn.subscription_id:
                info.update(paypal_reference_id=txn.subscription_id, paypal_reference_id_type="SUB")
            info.update(
                transaction_event_code=EVENT_CODES[txn.kind],
                transaction_initiation_date=reporting_time(txn.create_time),
                transaction_updated_date=reporting_time(txn.update_time),
                transaction_amount=money(txn.amount, txn.currency),
            )
            if status == "S" or status == "V":
                info["fee_amount"] = money(-txn.fee, txn.currency)
            info["transaction_status"] = status
            if txn.invoice_id:
                info["invoice_id"] = txn.invoice_id
            if txn.custom_id:
                info["custom_field"] = txn.custom_id
            info["protection_eligibility"] = "01"
            rows.append({"_time": txn.create_time, "transaction_info": info,
                         "payer_info": self._payer_info(txn.payer)})
        for refund in self.refunds.values():
            txn = self.txns[refund.txn_id]
            info = {
                "paypal_account_id": txn.payer.payer_id,
                "transaction_id": refund.id,
                "paypal_reference_id": txn.id,
                "paypal_reference_id_type": "TXN",
                "transaction_event_code": EVENT_CODES[refund.kind],
                "transaction_initiation_date": reporting_time(refund.create_time),
                "transaction_updated_date": reporting_time(refund.create_time),
                "transaction_amount": money(-refund.amount, refund.currency),
                "fee_amount": money(Decimal(0), refund.currency),  # PayPal keeps its fee
                "transaction_status": "S",
            }
            if txn.custom_id:
                info["custom_field"] = txn.custom_id
            rows.append({"_time": refund.create_time, "transaction_info": info,
                         "payer_info": self._payer_info(txn.payer)})
        return sorted(rows, key=lambda row: row["_time"])

    @staticmethod
    def _payer_info(payer: Any) -> dict:
        return {
            "account_id": payer.payer_id,
            "email_address": payer.email_address,
            "address_status": "Y",
            "payer_status": "Y",
            "payer_name": {"given_name": payer.given_name, "surname": payer.surname,
                           "alternate_full_name": f"{payer.given_name} {payer.surname}"},
            "country_code": payer.country_code,
        }

    def api_search_transactions(self, call: Call) -> tuple[int, dict]:
        query = call.query
        window = []
        for key in ("start_date", "end_date"):
            value = query.get(key)
            if value is None:
                fail(400, "MISSING_REQUIRED_PARAMETER", key, location="query")
            if parse_time(value) is None:
                fail(400, "INVALID_PARAMETER_SYNTAX", key, value, location="query",
                     description="Use the Internet date and time format, seconds included, "
                     "such as 2024-05-01T00:00:00Z.")
            window.append(parse_time(value))
        start, end = window
        if end < start or end - start > timedelta(days=31):
            fail(400, "INVALID_PARAMETER_VALUE", "end_date", query["end_date"], location="query",
                 description="end_date must follow start_date; the maximum range is 31 days.")
        page_size = self._int(query, "page_size", 100, 500)
        page = self._int(query, "page", 1, 10**6)
        wanted = set(query.get("fields", "transaction_info").split(","))
        fields = set(_FIELDS) if "all" in wanted else wanted | {"transaction_info"}
        rows = []
        for row in self.ledger():
            info = row["transaction_info"]
            if not start <= row["_time"] <= end:
                continue
            if "transaction_id" in query and info["transaction_id"] != query["transaction_id"]:
                continue
            if "transaction_status" in query and (
                info["transaction_status"] != query["transaction_status"]
            ):
                continue
            if "transaction_type" in query and (
                info["transaction_event_code"] != query["transaction_type"]
            ):
                continue
            rows.append({key: value for key, value in row.items() if key in fields})
        total_pages = max(1, -(-len(rows) // page_size))
        shown = rows[(page - 1) * page_size: page * page_size]
        base = f"{self.url}{call.path}"
        params = dict(query)
        links = [link(f"{base}?{urlencode(params)}", "self")]
        if page < total_pages:
            links.append(link(f"{base}?{urlencode({**params, 'page': page + 1})}", "next"))
            links.append(link(f"{base}?{urlencode({**params, 'page': total_pages})}", "last"))
        return 200, {
            "transaction_details": shown,
            "account_number": self.merchant["merchant_id"],
            "start_date": reporting_time(start),
            "end_date": reporting_time(end),
            "last_refreshed_datetime": reporting_time(self.now()),
            "page": page,
            "total_items": len(rows),
            "total_pages": total_pages,
            "links": links,
        }

    @staticmethod
    def _int(query: dict, key: str, default: int, high: int) -> int:
        value = query.get(key)
        if value is None:
            return default
        if not value.isdigit() or not 1 <= int(value) <= high:
            fail(400, "INVALID_PARAMETER_VALUE", key, value, location="query")
        return int(value)
