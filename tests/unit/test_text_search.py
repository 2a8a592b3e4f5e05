"""Chinese + ASCII tokenising for full-text search: pure rules, no database."""

from __future__ import annotations

from shared.text_search import MAX_QUERY_TOKENS, document_tokens, query_tokens, tsquery


def test_a_cjk_run_becomes_overlapping_bigrams_and_its_last_character() -> None:
    assert document_tokens("后巷垃圾") == sorted(["后巷", "巷垃", "垃圾", "圾"])


def test_a_one_character_run_is_kept_alone() -> None:
    assert document_tokens("3号 楼") == sorted(["3", "号", "楼"])


def test_punctuation_and_spaces_split_runs() -> None:
    tokens = document_tokens("电梯故障，已停运！")
    assert "障已" not in tokens
    assert {"电梯", "梯故", "故障", "已停", "停运"} <= set(tokens)


def test_ascii_words_are_lower_cased_and_full_width_is_folded() -> None:
    assert document_tokens("WiFi ＡＢＣ１２") == ["abc12", "wifi"]


def test_mixed_text_separates_ascii_and_cjk() -> None:
    assert set(document_tokens("3号楼电梯")) == {"3", "号楼", "楼电", "电梯", "梯"}


def test_several_texts_make_one_sorted_unique_list() -> None:
    tokens = document_tokens("垃圾", None, "垃圾 堆积", "")
    assert tokens == sorted(set(tokens))
    assert tokens.count("垃圾") == 1


def test_query_of_two_or_more_characters_uses_bigrams_in_order() -> None:
    assert query_tokens("垃圾堆") == ["垃圾", "圾堆"]
    assert tsquery("垃圾堆") == "'垃圾' & '圾堆'"


def test_one_character_query_is_a_prefix() -> None:
    assert tsquery("棚") == "'棚':*"


def test_every_character_of_a_document_is_reachable_by_a_one_character_query() -> None:
    doc = document_tokens("商户占巷搭棚")
    for ch in "商户占巷搭棚":
        assert any(t.startswith(ch) for t in doc), ch


def test_a_query_without_words_is_none() -> None:
    assert tsquery("，。！？  ") is None
    assert tsquery("") is None


def test_query_tokens_are_unique_and_capped() -> None:
    assert query_tokens("垃圾 垃圾 Elevator elevator") == ["垃圾", "elevator"]
    long_text = "".join(chr(0x4E00 + i) for i in range(100))
    assert len(query_tokens(long_text)) == MAX_QUERY_TOKENS


def test_every_query_bigram_of_a_phrase_is_in_its_document() -> None:
    phrase = "占巷搭棚"
    assert set(query_tokens(phrase)) <= set(document_tokens("商户占巷搭棚，影响通行"))
