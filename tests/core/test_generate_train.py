"""Corpus loading (3 chorales), a 20-step training run, saving and loading the weights."""

from __future__ import annotations

import json

import pytest

from core.generate.corpus import CorpusError, load_corpus, split_of
from core.generate.train import TrainConfig, train_generator

TINY = TrainConfig(steps=20, batch_size=4, d_model=48, n_layers=2, n_heads=2, d_ff=96,
                   max_len=96, lr=3e-3, warmup=2, dropout=0.0, seed=5, threads=1,
                   eval_pieces=2)


@pytest.fixture(scope="module")
def chorales():
    return load_corpus(collections=("bach-chorales",), limit=3)


def test_corpus_reads_three_chorales_in_four_voices(chorales):
    assert len(chorales) == 3
    for cp in chorales:
        h = cp.piece.header
        assert h.style == "chorale" and h.metre in ("3/4", "4/4")
        assert {e.voice for e in cp.piece.events} == {1, 2, 3, 4}
        assert cp.piece.n_bars >= 8
    # bwv269 is in G major
    first = chorales[0]
    assert first.id.endswith("bwv269") and (first.piece.header.key_pc, first.piece.header.mode) \
        == (7, "major")


def test_non_commercial_collection_is_refused():
    with pytest.raises(CorpusError, match="non-commercial"):
        load_corpus(collections=("essenFolksong",), limit=1)


def test_split_is_a_fixed_function_of_the_id():
    ids = [f"bach/bwv{i}" for i in range(400)]
    splits = [split_of(i) for i in ids]
    assert splits == [split_of(i) for i in ids]
    assert 0.8 < splits.count("train") / len(ids) < 0.97


def test_twenty_steps_decrease_the_loss_and_save_everything(chorales, tmp_path):
    m = train_generator(out_dir=tmp_path, config=TINY, corpus=chorales, baseline=False)
    losses = json.loads((tmp_path / "train_loss.json").read_text())
    assert len(losses) == 20
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4 - 0.3
    for name in ("model.safetensors", "config.json", "split.json", "metrics.json"):
        assert (tmp_path / name).is_file()
    assert m["valid"]["perplexity"] > 1
    assert m["generated"]["pieces"] == 2 and 0 <= m["generated"]["in_key_rate"] <= 1
    from core.generate.model import load_model

    model = load_model(tmp_path)
    assert model.cfg.d_model == 48


def test_missing_weights_name_the_training_command(tmp_path):
    from core.generate import GeneratorNotTrainedError, generate_idea

    with pytest.raises(GeneratorNotTrainedError, match="resonote train-generator"):
        generate_idea(weights=tmp_path)


def test_training_can_be_cancelled(chorales, tmp_path):
    from core.jobs import CancelToken, JobCancelled

    token = CancelToken()
    seen = []

    def progress(p):
        seen.append(p)
        if p.stage == "train" and p.done == 2:
            token.cancel()

    with pytest.raises(JobCancelled):
        train_generator(out_dir=tmp_path, config=TINY, corpus=chorales, baseline=False,
                        progress=progress, cancel=token)
    assert max(p.done for p in seen if p.stage == "train") == 2
    assert not (tmp_path / "model.safetensors").exists()
