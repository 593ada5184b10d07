"""The pipeline board as users see it: each card's fields, links and move form, the column sums, the
"More" fragment drawing the same cards, and the GM's team choice. The board is drawn from plain columns
and per-page constants (links built once, the move label translated once): these tests pin what a card
shows, so that such shortcuts cannot change it."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from samples_customers import customer, stage

from portal.core.db import db
from portal.customers.models import Opportunity

TITLE = '<b>"A&B"</b> 改造'
ESCAPED = "&lt;b&gt;&#34;A&amp;B&#34;&lt;/b&gt; 改造"


@pytest.fixture
def board(world):
    lead, deal = stage("Lead", 10), stage("Deal", 60)
    acme = customer(world.rep_a, name="杭州精密机械有限公司", status="active")
    other = customer(world.rep_b, name="北京远大环保科技有限公司")

    def opp(title, owner, cust, st, amount, probability, close=None):
        o = Opportunity(title=title, customer_id=cust.id, owner_id=owner.id, team_id=owner.team_id, stage_id=st.id,
                        amount=Decimal(amount), probability=probability, expected_close=close)
        db.session.add(o)
        return o

    odd = opp(TITLE, world.rep_a, acme, lead, "250000.00", 10, date(2026, 12, 1))
    opp("二号线", world.rep_a, acme, lead, "1000.50", 15)
    opp("三号线", world.rep_a2, acme, deal, "3000.25", 60, date(2026, 11, 30))
    opp("远大一期", world.rep_b, other, deal, "7777.77", 60)
    db.session.commit()
    return {"lead": lead, "deal": deal, "odd": odd}


def _mask(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "CSRF", html)


def _card(html: str, opp_id: int) -> str:
    """The <article> of one card (found by its move form or its link)."""
    for part in html.split("<article ")[1:]:
        body = part.split("</article>")[0]
        if f"/customers/opportunities/{opp_id}\"" in body:
            return body
    raise AssertionError(f"no card for {opp_id}")


def test_card_shows_its_fields_and_escapes_the_title(client, world, board, login_as):
    login_as(user=world.rep_a)
    html = client.get("/customers/pipeline").get_data(as_text=True)
    odd = board["odd"]
    card = _card(html, odd.id)
    assert TITLE not in html
    assert f'aria-label="{ESCAPED}"' in card
    assert f'<a class="fw-semibold" href="/customers/opportunities/{odd.id}">{ESCAPED}</a>' in card
    assert "<div>杭州精密机械有限公司</div>" in card
    assert f'<div class="text-muted">{world.rep_a.display_name}</div>' in card
    assert "¥250,000.00 · 10% · 2026-12-01" in card
    move = f"/customers/opportunities/{odd.id}/stage"
    assert f'action="{move}" hx-post="{move}"' in card
    # the label's translation with the title set into it, escaped like every other output
    assert f'<label class="visually-hidden" for="move-{odd.id}">将 {ESCAPED} 移到阶段</label>' in card
    assert f'id="move-{odd.id}" name="stage_id"' in card and ">移动</button>" in card
    lead, deal = board["lead"], board["deal"]
    assert f'<option value="{lead.id}" selected>Lead</option><option value="{deal.id}">Deal</option>' in card
    # an undated card: a dash, and after the dated ones of its column
    plain = html.index("二号线")
    assert html.index(ESCAPED) < plain and "¥1,000.50 · 15% · —" in html[plain:]
    # the other card of the rep's team is the colleague's: the rep does not see it, nor another team's
    assert "三号线" not in html and "远大一期" not in html


def test_cards_of_a_column_sit_in_its_stage_menu(client, world, board, login_as):
    login_as(user=world.director_a)
    html = client.get("/customers/pipeline").get_data(as_text=True)
    lead, deal = board["lead"], board["deal"]
    three = _card(html, db.session.query(Opportunity.id).filter_by(title="三号线").scalar())
    assert f'<option value="{lead.id}">Lead</option><option value="{deal.id}" selected>Deal</option>' in three
    assert "远大一期" not in html
    # the column sums (team A's board): Lead holds rep_a's two, Deal rep_a2's one; the weighted total
    # is 25,150.075 → 25,150.08 (each stage rounded half-up) + 1,800.15 = 26,950.23
    assert "2 个进行中 · ¥251,000.50" in html and "1 个进行中 · ¥3,000.25" in html
    assert "加权漏斗金额：¥26,950.23" in html


def test_the_more_fragment_draws_the_same_cards(client, world, board, login_as):
    login_as(user=world.rep_a)
    html = _mask(client.get("/customers/pipeline").get_data(as_text=True))
    part = _mask(client.get(f"/customers/pipeline/stages/{board['lead'].id}?start=0",
                            headers={"HX-Request": "true"}).get_data(as_text=True))
    odd = board["odd"]
    assert _card(part, odd.id) == _card(html, odd.id)


def test_english_reader_gets_the_english_label(client, world, board, login_as):
    world.rep_a.locale = "en"
    db.session.commit()
    login_as(user=world.rep_a)
    card = _card(client.get("/customers/pipeline").get_data(as_text=True), board["odd"].id)
    assert f">Move {ESCAPED} to stage</label>" in card and ">Move</button>" in card


def test_gm_board_of_a_team_has_no_move_forms_and_keeps_the_team_in_more_links(client, world, board, login_as):
    # twelve more cards in team B's Deal column, so the column has a "More" link
    other = customer(world.rep_b, name="远大二号")
    db.session.add_all([Opportunity(title=f"远大{i:02d}", customer_id=other.id, owner_id=world.rep_b.id,
                                    team_id=world.team_b.id, stage_id=board["deal"].id, amount=Decimal("1.00"),
                                    probability=60) for i in range(12)])
    db.session.commit()
    login_as(user=world.gm)
    html = client.get(f"/customers/pipeline?team={world.team_b.id}").get_data(as_text=True)
    assert "远大一期" in html and "二号线" not in html and "三号线" not in html
    assert 'name="stage_id"' not in html and "hx-post" not in html
    assert f"/customers/pipeline/stages/{board['deal'].id}?start=10&amp;team={world.team_b.id}" in html
    assert f'<option value="{world.team_b.id}" selected>Team B</option>' in html
    whole = client.get("/customers/pipeline").get_data(as_text=True)
    assert all(t in whole for t in ("远大一期", "二号线", "三号线"))
