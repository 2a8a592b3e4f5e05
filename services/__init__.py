"""The four Gongzhi services: issues, grid, volunteers, evaluation."""
