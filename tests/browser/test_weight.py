"""Loading the widget stays within its budget: few requests, few bytes, only our origin.

Times are reported by bench/widget_weight.py; a test never asserts on them.
"""

from tests.browser.weight import MAX_BYTES, MAX_REQUESTS, load_widget


def test_the_widget_loads_in_three_small_requests_to_our_origin_only(
        page, host_page, live_server):
    load = load_widget(page, host_page.article(live_server))

    assert load.requests <= MAX_REQUESTS, load.fetched
    assert load.bytes <= MAX_BYTES, load.fetched
    assert load.origins == {live_server}, load.fetched
    assert {item.encoding for item in load.fetched} == {"gzip"}, load.fetched
