"""A first end-to-end month, figures worked out by hand (R4, R11, R15, R17, R30, R33–R35)."""

import datetime as dt

from builders import bill, person, reg


def test_small_month_by_hand(ws, settle):
    ws.staff([person("S001", "张伟", role="主任", team=None), person("S002", "李娜", role="主管", team="一组"),
              person("S003", "王芳"), person("S004", "赵敏", hired=dt.date(2024, 5, 13), rating="80%"),
              person("N001", "网络甲", role="网络部", team=None)])
    ws.month("2024-05",
             regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1", card="C1"),
                   reg(dt.datetime(2024, 5, 2, 9), "网络甲", "P2"),
                   reg(dt.datetime(2024, 5, 3, 9), "王芳", "P2", channel="诊所", partner="康复诊所", referrer="刘医生",
                       phone="139"),
                   reg(dt.datetime(2024, 5, 4, 9), "李娜", "P3", channel="药店", card="C9", card_type="手术卡",
                       partner="大药房", referrer="x", phone="1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", card="C1"),
                      bill(dt.datetime(2024, 5, 6, 10), 21000.01, "P2", category="住院"),
                      bill(dt.datetime(2024, 5, 7, 10), 8000, "P3", category="剖宫产"),
                      bill(dt.datetime(2024, 5, 7, 11), 500, "P9"),
                      bill(dt.datetime(2024, 5, 8, 11), 300, "P9", card="X1")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 王芳: P1 1000 + half of P2 after the 15 % clinic rebate: 21000.01 × 0.85 × 0.5 = 8925.00425
    # P = 9925.00425 → base 1500 × 9925.00425/20000 = 744.375… → 744.38; R33 700 × P/50000 = 138.95;
    # R11 3 % × P = 297.75. Total 1181.08.
    assert r.amount("S003", "base") == "744.38"
    assert r.amount("S003", "assessment") == "138.95"
    assert r.amount("S003", "general") == "297.75"
    assert r.total("S003") == "1181.08"
    # 李娜 主管: 剖宫产 8000 − R15 100 = 7900 → base 592.50, R33 110.60, R8 200, management bonus =
    # lowest team R33 (王芳 138.95 < 赵敏 560), team 1 % × 9925.00425 = 99.25 → 1141.30.
    assert r.total("S002") == "1141.30"
    assert r.amount("S002", "management_bonus") == "138.95"
    # 赵敏 joins 13 May, probation: 1500 × 19/31 = 919.35; R33 700 × 80 % = 560 → 1479.35.
    assert r.total("S004") == "1479.35"
    # 主任: 5000 × 王芳's P / 20000 = 2481.25; 1 % × (9925.00425 + 7900) = 178.25 → 2659.50.
    assert r.total("S001") == "2659.50"
    assert r.data["network"]["N001"]["performance"] == "8925.00"
    assert [v["code"] for v in r.violations()] == ["unregistered_card"]
    rec = r.data["reconciliation"]
    assert rec["total_fen"] == 3080001 and rec["credited_fen"] == 3000001 and rec["balanced"]
