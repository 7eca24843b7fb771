from decimal import Decimal

from django.db import migrations

ASSETS = [
    ("BTC", "Bitcoin", "87959.907984"),
    ("ETH", "Ethereum", "2920.497338"),
    ("USDT", "Tether", "1"),
    ("XRP", "XRP", "2.237324"),
    ("BNB", "BNB", "860.243768"),
    ("SOL", "Solana", "138.089498"),
    ("USDC", "USD Coin", "0.999807"),
    ("TRX", "TRON", "0.272801"),
    ("DOGE", "Dogecoin", "0.150904"),
    ("ADA", "Cardano", "0.421635"),
    ("HYPE", "Hyperliquid", "32.152445"),
    ("BCH", "Bitcoin Cash", "533.301069"),
    ("LINK", "Chainlink", "12.953417"),
    ("LEO", "UNUS SED LEO", "9.535951"),
    ("ZEC", "Zcash", "521.483386"),
]


def seed_assets(apps, schema_editor):
    Asset = apps.get_model("accounts", "Asset")
    for symbol, name, price in ASSETS:
        Asset.objects.update_or_create(
            symbol=symbol, defaults={"name": name, "usdt_price": Decimal(price)}
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed_assets, migrations.RunPython.noop)]
