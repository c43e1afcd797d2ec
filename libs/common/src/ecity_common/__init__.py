"""What every Sumy e-City service shares, and nothing that only one of them needs."""
