"""The demo city: real places from the seed articles, seeded into grid on first start."""
