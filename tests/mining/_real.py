"""Loaders for the public real-world data sets in ../shared/data (read in place, never copied)."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from data import paths

REAL_DATA = paths.REPO_ROOT.parent / "shared" / "data"


def bank_marketing() -> tuple[pd.DataFrame, np.ndarray]:
    """UCI bank marketing without ``duration`` (it leaks the outcome); target y == "yes"."""
    frame = pd.read_csv(REAL_DATA / "bank-additional-full.csv", sep=";")
    y = (frame.pop("y") == "yes").to_numpy()
    return frame.drop(columns=["duration"]), y


def bank_churners() -> tuple[pd.DataFrame, np.ndarray]:
    """Credit-card churn without CLIENTNUM and the two Naive_Bayes_* columns (another model's output)."""
    frame = pd.read_csv(REAL_DATA / "BankChurners.csv")
    frame = frame.drop(columns=["CLIENTNUM", *[c for c in frame.columns if c.startswith("Naive_Bayes")]])
    y = (frame.pop("Attrition_Flag") == "Attrited Customer").to_numpy()
    return frame, y


def groceries() -> list[list[str]]:
    """Groceries baskets: one list of items per line (blank trailing fields dropped)."""
    with open(REAL_DATA / "groceries.csv", newline="", encoding="utf-8") as f:
        return [[item for item in row if item] for row in csv.reader(f)]
