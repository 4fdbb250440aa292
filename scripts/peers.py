#!/usr/bin/env python3
"""The scikit-learn peers of ../shared/benchmarks/peers.md, for timing in the same run as
moderato: fits on <name>.train.csv, scores <name>.test.csv from raw text, prints one JSON
object per peer: mean ROC AUC, fit seconds, scoring comments per second (median of 3).

    python3 scripts/peers.py DATA_DIR NAME [NAME ...]
"""
import csv, json, statistics, sys, time

from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

csv.field_size_limit(1 << 30)


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    labels = [c for c in rows[0].keys() if c not in ("id", "text")]
    return [r["text"] for r in rows], {l: [int(r[l]) for r in rows] for l in labels}


class TfidfLR:
    name = "tfidf_lr"

    def fit(self, texts, ys):
        self.vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        x = self.vec.fit_transform(texts)
        self.models = {l: LogisticRegression(C=4, solver="liblinear").fit(x, y) for l, y in ys.items()}

    def scores(self, texts):
        x = self.vec.transform(texts)
        return {l: m.predict_proba(x)[:, 1] for l, m in self.models.items()}


class TfidfWordCharLR:
    name = "tfidf_word_char_lr"

    def fit(self, texts, ys):
        self.word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=200_000)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=200_000)
        x = hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)]).tocsr()
        self.models = {l: LogisticRegression(C=4, max_iter=1000).fit(x, y) for l, y in ys.items()}

    def scores(self, texts):
        x = hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()
        return {l: m.predict_proba(x)[:, 1] for l, m in self.models.items()}


def main():
    data, names = sys.argv[1], sys.argv[2:]
    for name in names:
        train_texts, train_ys = read(f"{data}/{name}.train.csv")
        test_texts, test_ys = read(f"{data}/{name}.test.csv")
        for peer in (TfidfLR(), TfidfWordCharLR()):
            t = time.perf_counter()
            peer.fit(train_texts, train_ys)
            fit_s = time.perf_counter() - t
            runs = []
            for _ in range(3):
                t = time.perf_counter()
                s = peer.scores(test_texts)
                runs.append(time.perf_counter() - t)
            aucs = [roc_auc_score(test_ys[l], s[l]) for l in test_ys]
            print(json.dumps({"dataset": name, "peer": peer.name, "roc_auc": sum(aucs) / len(aucs),
                              "fit_seconds": fit_s, "comments_per_second": len(test_texts) / statistics.median(runs)}),
                  flush=True)


if __name__ == "__main__":
    main()
