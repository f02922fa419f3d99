#!/usr/bin/env python3
"""Tests launch/compare_with_truth.py (the quickstart's table) on hand-made summaries and a
truth.json: the one-model form, several models side by side with their share of the oracle,
summaries from different data refused, usage errors.
usage: compare_with_truth_test.py PATH/TO/compare_with_truth.py"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = None
POPULARITY = {"hitrate@10": 0.5, "hitrate@20": 0.6, "hits@20": 2.0, "users": 900}
TRUTH = {"test": {"hitrate@10": 0.79, "hitrate@20": 0.86, "hits@20": 3.6, "loglik": -1.86},
         "oracle": {"rollouts": 500, "test": {
             "hitrate@10": 0.8, "hitrate@20": 0.9, "hits@20": 4.0, "users": 900,
             "monte_carlo_standard_error": {"hitrate@10": 0.002, "hitrate@20": 0.002,
                                            "hits@20": 0.01}}}}


def summary(hitrate10, hitrate20, hits20, popularity=POPULARITY):
    return {"test": {"hitrate@10": hitrate10, "hitrate@20": hitrate20, "hits@20": hits20,
                     "loglik": -1.9},
            "popularity": popularity, "interactions_per_s": 1000.0, "wall_s": 2.0}


class CompareWithTruth(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)

    def write(self, name, document):
        path = os.path.join(self.directory.name, name)
        with open(path, "w") as f:
            json.dump(document, f)
        return path

    def run_script(self, *arguments):
        return subprocess.run([sys.executable, SCRIPT, *arguments], capture_output=True,
                              text=True)

    def rows(self, output):
        return {line.split()[0]: line.split() for line in output.splitlines() if line.strip()}

    def test_one_model(self):
        truth = self.write("truth.json", TRUTH)
        result = self.run_script(self.write("s.json", summary(0.6, 0.72, 2.88)), truth)
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = self.rows(result.stdout)
        self.assertEqual(rows["test"], ["test", "metric", "model", "popularity", "oracle", "±",
                                        "(MC)", "model/oracle", "choice", "model"])
        # model, popularity, oracle, ±, model/oracle, choice model
        self.assertEqual(rows["hitrate@20"][1:], ["0.7200", "0.6000", "0.9000", "0.0020", "0.80",
                                                  "0.8600"])

    def test_models_side_by_side(self):
        truth = self.write("truth.json", TRUTH)
        gru = self.write("gru.json", summary(0.6, 0.72, 2.88))
        transformer = self.write("transformer.json", summary(0.64, 0.81, 3.0))
        result = self.run_script(truth, f"gru={gru}", f"transformer={transformer}")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = self.rows(result.stdout)
        self.assertEqual(rows["test"][2:6], ["gru", "transformer", "popularity", "oracle"])
        self.assertIn("gru/oracle", rows["test"])
        self.assertIn("transformer/oracle", rows["test"])
        # gru, transformer, popularity, oracle, ±, gru/oracle, transformer/oracle, choice model
        self.assertEqual(rows["hitrate@20"][1:], ["0.7200", "0.8100", "0.6000", "0.9000",
                                                  "0.0020", "0.80", "0.90", "0.8600"])
        self.assertEqual(rows["hits@20"][1:], ["2.8800", "3.0000", "2.0000", "4.0000", "0.0100",
                                               "0.72", "0.75", "3.6000"])
        self.assertIn("training gru: 1,000 interactions/s", result.stdout)
        self.assertIn("training transformer: 1,000 interactions/s", result.stdout)

    def test_different_data_is_refused(self):
        truth = self.write("truth.json", TRUTH)
        gru = self.write("gru.json", summary(0.6, 0.72, 2.88))
        other = self.write("other.json",
                           summary(0.6, 0.72, 2.88, dict(POPULARITY, **{"hitrate@20": 0.61})))
        result = self.run_script(truth, f"gru={gru}", f"transformer={other}")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("popularity hitrate@20", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_usage_errors(self):
        truth = self.write("truth.json", TRUTH)
        gru = self.write("gru.json", summary(0.6, 0.72, 2.88))
        for arguments in ([truth], [truth, f"gru={gru}", "transformer"], [f"gru={gru}", truth],
                          [truth, f"={gru}"]):
            result = self.run_script(*arguments)
            self.assertEqual(result.returncode, 2, arguments)
            self.assertIn("usage", result.stderr)
        missing = self.run_script(truth, f"gru={gru}.missing")
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("gru.json.missing", missing.stderr)


if __name__ == "__main__":
    SCRIPT = sys.argv.pop(1)
    unittest.main()
