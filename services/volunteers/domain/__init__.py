"""The volunteers service's aggregates: who serves (volunteers, organisations, teams), what
residents ask for (wishes) and offer (activities), and the time bank (accounts, rewards)."""
