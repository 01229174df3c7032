#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reference values for the option pricer (src/options), written to
tests/vectors/options.json. Run once with mpmath at 50 digits; the C
tests compare their integer results against these numbers within the
bounds stated in docs/options.md. Every input is an integer, exactly as
the C code receives it; every reference is an integer string in the
unit named by its key, scaled by 10^6 beyond the C output's own unit
(so a reference carries six more decimals than the code returns).

Usage: python3 tests/vectors/gen_options.py > tests/vectors/options.json
"""
import json

from mpmath import mp, mpf, log, exp, sqrt, ncdf, npdf, nint

mp.dps = 50
WAD = mpf(10) ** 18
EXTRA = mpf(10) ** 6
YEAR = 31536000


def ref(x):
    """x (in the C output's unit) times 10^6, rounded, as a string"""
    return str(int(nint(x * EXTRA)))


def kernels():
    ln = []
    for a, b in [(1, 1), (2, 1), (1, 2), (3, 7), (6000000, 5999999),
                 (6000000, 3000000), (6000000, 12000000),
                 (2**64 - 1, 1), (1, 2**64 - 1), (123456789, 987654321),
                 (10**12, 10**12 + 1), (1414213562, 1000000000),
                 (9900, 1), (1, 9900), (10100, 1),
                 (1414213563, 1000000000), (9000000000000, 1)]:
        v = log(mpf(a) / b) * WAD
        # the result is an int64 wad: beyond +-9.22 it is refused
        ok = abs(v) < 2**63 - 1
        ln.append({"a": str(a), "b": str(b), "ok": ok,
                   "ln_wad": ref(v) if ok else "0"})
    ex = []
    for x in ["0", "-1", "-346573590279972654", "-346573590279972655",
              "-500000000000000000", "-1000000000000000000",
              "-2718281828459045235", "-10000000000000000000",
              "-20000000000000000000", "-41000000000000000000",
              "-42000000000000000000", "-43000000000000000000"]:
        ex.append({"x_wad": x, "exp_wad": ref(exp(mpf(x) / WAD) * WAD)})
    cdf = []
    for i in range(-368, 369):  # -9.2 .. 9.2 by 0.025 (int64 wad)
        x = i * 25 * 10**15
        cdf.append({"x_wad": str(x),
                    "ncdf_wad": ref(ncdf(mpf(x) / WAD) * WAD),
                    "npdf_wad": ref(npdf(mpf(x) / WAD) * WAD)})
    for x in [1, -1, 2999999999999999999, 3000000000000000000,
              -3000000000000000001, 8999999999999999999,
              9000000000000000000, 1234567890123456789]:
        cdf.append({"x_wad": str(x),
                    "ncdf_wad": ref(ncdf(mpf(x) / WAD) * WAD),
                    "npdf_wad": ref(npdf(mpf(x) / WAD) * WAD)})
    return ln, ex, cdf


def black(kind, f, k, w_wad, tau):
    f, k = mpf(f), mpf(k)
    w = mpf(w_wad) / WAD
    t = mpf(tau) / YEAR
    sw = sqrt(w)
    d1 = (log(f / k) + w / 2) / sw
    d2 = d1 - sw
    if kind == "call":
        price = f * ncdf(d1) - k * ncdf(d2)
        delta = ncdf(d1)
    else:
        price = k * ncdf(-d2) - f * ncdf(-d1)
        delta = ncdf(d1) - 1
    gamma = npdf(d1) / (f * sw)
    vega = f * npdf(d1) * sqrt(t)
    theta = -f * npdf(d1) * sw / (2 * t) / 365
    return {"kind": kind, "fwd": str(int(f)), "strike": str(int(k)),
            "w_wad": str(w_wad), "tau_s": str(tau),
            "price_micro": ref(price * 10**6),
            "delta_ppb": ref(delta * 10**9),
            "gamma_wad": ref(gamma * WAD),
            "vega_micro": ref(vega * 10**6),
            "theta_micro": ref(theta * 10**6)}


def grid():
    out = []
    fwd = 6000000  # $60 000.00 with two price decimals
    for tau in [3600, 86400, 7 * 86400, 30 * 86400, 90 * 86400, YEAR,
                3 * YEAR]:
        for vol_pct in [10, 50, 80, 150]:
            # sigma^2 T in wad, an integer exactly as the C code gets it
            w_wad = int(nint(mpf(vol_pct) ** 2 / 10**4 * tau / YEAR * WAD))
            for km in [50, 80, 95, 100, 105, 120, 200]:
                k = fwd * km // 100
                for kind in ["call", "put"]:
                    out.append(black(kind, fwd, k, w_wad, tau))
    # small and large forwards (an ETH at $3 000.00, a coin at 0.0123
    # with four decimals, a 9e12 forward at the range's top)
    for f, k in [(300000, 310000), (123, 130), (9000000000000,
                                                8000000000000)]:
        for kind in ["call", "put"]:
            out.append(black(kind, f, k, 250000000000000000, 30 * 86400))
    return out


def svi():
    out = []
    # (a, b, rho, m, s) in wad: a 30-day BTC-like smile, a flat slice, a
    # steep put skew
    slices = [(2 * 10**15, 5 * 10**16, -3 * 10**17, 0, 10**17),
              (4 * 10**16, 0, 0, 0, 10**17),
              (10**15, 2 * 10**17, -9 * 10**17, 5 * 10**16, 5 * 10**16)]
    fwd = 6000000
    for p in slices:
        a, b, rho, m, s = (mpf(x) / WAD for x in p)
        for km in [30, 50, 80, 95, 100, 105, 120, 200, 400]:
            k = fwd * km // 100
            x = log(mpf(k) / fwd)
            w = a + b * (rho * (x - m) + sqrt((x - m) ** 2 + s * s))
            out.append({"svi": [str(v) for v in p], "fwd": str(fwd),
                        "strike": str(k), "w_wad": ref(w * WAD)})
    return out


def main():
    ln, ex, cdf = kernels()
    doc = {
        "about": "option pricer references (tests/vectors/gen_options.py, "
                 "mpmath 50 digits); every value is an integer string, "
                 "the C output's unit times 10^6",
        "ln_ratio": ln, "exp_neg": ex, "normal": cdf, "black76": grid(), "svi": svi(),
    }
    print(json.dumps(doc, indent=1))


main()
