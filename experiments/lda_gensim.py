#!/usr/bin/python3
"""The comparison with gensim's LdaModel (Debian's python3-gensim), and the one
UMass coherence both models are scored with.

  lda_gensim.py train DOCWORD K PASSES SEED TOPWORDS
      trains gensim.models.LdaModel (online variational Bayes, one process)
      on the UCI corpus DOCWORD (+ its vocab.* file) and writes the top 10
      words of every topic in stale's top-words format ("k<TAB>weight<TAB>w1
      w2 ..."); prints "train_wall_s X" and "train_cpu_s Y" (training only,
      the corpus already in memory).
  lda_gensim.py umass DOCWORD TOPWORDS...
      prints, for each top-words file, the mean over topics of the UMass
      coherence (Mimno et al. 2011) of its first 10 words:
      sum over m = 2..10, l < m of log((D(w_m, w_l) + 1) / D(w_l)), D counting
      the documents of DOCWORD that hold the words.
Never part of the build or of the tests.
"""
import math
import os
import sys
import time


def read_uci(docword):
    base = os.path.basename(docword)
    vocab_path = os.path.join(os.path.dirname(docword), "vocab." + base[len("docword."):])
    with open(vocab_path, encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f]
    docs = []
    with open(docword) as f:
        ndocs = int(f.readline())
        f.readline()
        f.readline()
        docs = [[] for _ in range(ndocs)]
        for line in f:
            if not line.strip():
                continue
            d, w, c = line.split()
            docs[int(d) - 1].append((int(w) - 1, int(c)))
    return vocab, docs


def train(docword, k, passes, seed, out):
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    vocab, docs = read_uci(docword)
    id2word = Dictionary.from_corpus(docs, id2word=dict(enumerate(vocab)))
    t0, c0 = time.perf_counter(), time.process_time()
    model = LdaModel(corpus=docs, id2word=id2word, num_topics=k, passes=passes, iterations=50,
                     chunksize=2000, alpha="symmetric", random_state=seed, eval_every=None)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    with open(out, "w", encoding="utf-8") as f:
        for t in range(k):
            top = model.get_topic_terms(t, topn=10)
            f.write("%d\t%.6f\t%s\n" % (t, sum(p for _, p in top), " ".join(vocab[w] for w, _ in top)))
    print("train_wall_s %.3f" % wall)
    print("train_cpu_s %.3f" % cpu)


def umass(docword, files):
    vocab, docs = read_uci(docword)
    index = {w: i for i, w in enumerate(vocab)}
    postings = [set() for _ in vocab]
    for d, doc in enumerate(docs):
        for w, _ in doc:
            postings[w].add(d)
    for path in files:
        scores = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 3 or not parts[2]:
                    continue
                words = [index[w] for w in parts[2].split()[:10]]
                s = 0.0
                for m in range(1, len(words)):
                    for l in range(m):
                        both = len(postings[words[m]] & postings[words[l]])
                        s += math.log((both + 1) / len(postings[words[l]]))
                scores.append(s)
        print("%s umass %.4f topics %d" % (path, sum(scores) / len(scores), len(scores)))


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "train":
        train(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif len(sys.argv) >= 4 and sys.argv[1] == "umass":
        umass(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
