"""The issues service: residents' problems from raising to closing (说事 → 评事)."""
