"""The side-tagged window around a target slot, as the embedded default's stance classifiers read it."""

import pickle

from sikap.models.slot_window import SlotWindow
from sikap.text.targets import MentionDetector, load_targets


def test_words_are_tagged_by_side_and_cut_at_the_width() -> None:
    features = SlotWindow(width=2)("satu dua kecam targetslot bantu tiga empat")
    assert {"L_dua", "L_kecam", "R_bantu", "R_tiga"} <= set(features)
    assert not {"L_satu", "R_empat", "L_bantu", "R_kecam"} & set(features)
    assert "B_kecam_SLOT" in features and "B_SLOT_bantu" in features


def test_who_does_what_to_whom_differs() -> None:
    attacker = SlotWindow()("targetslot menyerang otherslot")
    attacked = SlotWindow()("otherslot menyerang targetslot")
    assert "R_menyerang" in attacker and "L_menyerang" in attacked
    assert set(attacker).isdisjoint({"L_menyerang"}) and set(attacked).isdisjoint({"R_menyerang"})


def test_every_slot_gets_a_window_and_a_sentence_without_one_gets_none() -> None:
    assert SlotWindow(width=1)("a targetslot b c targetslot d").count("R_b") == 1
    assert len(SlotWindow(width=1)("a targetslot b c targetslot d")) == 2 * (2 + 2)
    assert SlotWindow()("Harga minyak naik tajam pekan ini.") == []


def test_reads_masked_sentences_and_pickles() -> None:
    detector = MentionDetector(load_targets())
    masked = detector.mask("Rusia menuding NATO memperluas pengaruh.", "NATO")
    window = pickle.loads(pickle.dumps(SlotWindow(width=3)))
    assert "L_menuding" in window(masked) and "R_memperluas" in window(masked)
    assert "L_otherslot" in window(masked)
