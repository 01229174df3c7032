#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The worked examples of docs/options.md "Risk array", recomputed with
mpmath at 40 digits from the same integer inputs the C test uses
(tests/unit/options/test_options_risk.c). The C figures are rounded down
and must lie within 1 micro price unit below these.

Usage: python3 tests/vectors/gen_options_risk.py
"""
from mpmath import mp, mpf, log, sqrt, ncdf

mp.dps = 40
YEAR = 31536000
F = 6000000


def black(kind, f, k, w):
    f, k = mpf(f), mpf(k)
    if w == 0:
        return max(f - k, 0) if kind == "call" else max(k - f, 0)
    sw = sqrt(w)
    d1 = (log(f / k) + w / 2) / sw
    d2 = d1 - sw
    if kind == "call":
        return f * ncdf(d1) - k * ncdf(d2)
    return k * ncdf(-d2) - f * ncdf(-d1)


def w_of(vol_pct, tau):
    # the C test's integer: vol^2 x 10^18 / 10^4 x tau / YEAR, truncated
    return mpf(vol_pct * vol_pct * 10**18 // 10000 * tau // YEAR) / 10**18


def worst(legs):
    """legs: (kind, strike, w, size in units); the grid +-15 % in 7
    moves, vol x0.7 / x1.3, extremes +-45 % at 33 %"""
    def val(leg, f, shift):
        kind, k, w, _ = leg
        if kind == "perp":
            return mpf(f)
        return black(kind, f, k, w * (1 + mpf(shift) / 10**6) ** 2)

    def pnl(f, shift):
        return sum(leg[3] * (val(leg, f, shift) - val(leg, F, 0))
                   for leg in legs)

    res = []
    for i in range(-3, 4):
        f = F * (10**6 + 150000 * i // 3) // 10**6
        for s in (-1, 0, 1):
            res.append(pnl(f, s * 300000))
    for s in (-1, 1):
        f = F * (10**6 + s * 450000) // 10**6
        res.append(pnl(f, 0) * mpf(330000) / 10**6)
    return max(0, -min(res)) * 10**6  # micro price units


tau = 30 * 86400
w = w_of(50, tau)
d1 = (w / 2) / sqrt(w)
# the hedge as the test sizes it: delta in ppb, then millionths
delta = mpf(int(ncdf(d1) * 10**9) // 1000) / 10**6
call = ("call", F, w, 1)
perp = ("perp", 0, 0, -delta)
print("hedged call: call %s perp %s together %s" % (
    mp.nstr(worst([call]), 20), mp.nstr(worst([perp]), 20),
    mp.nstr(worst([call, perp]), 20)))
for vol in (60, 90):
    for days in (30, 7, 1):
        t = days * 86400
        wv = w_of(vol, t)
        legs = [("put", 5400000, wv, -1), ("call", 6600000, wv, -1)]
        print("short strangle %d %% %d days: %s" % (
            vol, days, mp.nstr(worst(legs), 20)))
