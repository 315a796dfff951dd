"""The public side (政务公开): the online box, progress lookup, citizens' ratings, published figures."""
