from decimal import Decimal

from accounts.models import Asset
from accounts.services import balance_usdt
from tests.factories import BalanceFactory, UserFactory


def test_total_is_the_decimal_sum_of_amount_times_price(db):
    user = UserFactory()
    BalanceFactory(user=user, asset=Asset.objects.get(symbol="BTC"), amount=Decimal("0.5"))
    BalanceFactory(user=user, asset=Asset.objects.get(symbol="DOGE"), amount=Decimal("1000.1"))
    expected = Decimal("0.5") * Decimal("87959.907984") + Decimal("1000.1") * Decimal("0.150904")
    total = balance_usdt(user)
    assert isinstance(total, Decimal)
    assert total == expected


def test_total_of_an_account_without_balances_is_zero(db):
    assert balance_usdt(UserFactory()) == Decimal(0)


def test_total_costs_one_query(db, django_assert_num_queries):
    user = UserFactory()
    for symbol in ["BTC", "ETH", "SOL", "XRP"]:
        BalanceFactory(user=user, asset=Asset.objects.get(symbol=symbol))
    with django_assert_num_queries(1):
        balance_usdt(user)


def test_assets_page_lists_each_balance_and_the_total(client, db):
    user = UserFactory()
    BalanceFactory(user=user, asset=Asset.objects.get(symbol="ETH"), amount=Decimal("2"))
    BalanceFactory(user=user, asset=Asset.objects.get(symbol="USDT"), amount=Decimal("10.5"))
    client.force_login(user)
    html = client.get("/assets/").content.decode()
    assert "5,851.49" in html  # 2 × 2920.497338 + 10.5, rounded to cents
    assert "ETH" in html and "USDT" in html


def test_assets_page_shows_only_my_balances(client, db):
    me, other = UserFactory(), UserFactory()
    BalanceFactory(user=other, asset=Asset.objects.get(symbol="ZEC"), amount=Decimal("7"))
    client.force_login(me)
    assert "ZEC" not in client.get("/assets/").content.decode()


def test_assets_page_needs_login(client, db):
    assert client.get("/assets/")["Location"].startswith("/accounts/login/")


def test_all_fifteen_assets_are_seeded_with_their_prices(db):
    assert Asset.objects.count() == 15
    assert Asset.objects.get(symbol="HYPE").usdt_price == Decimal("32.152445")
