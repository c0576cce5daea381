"""Consensus: agents that check each other before a finding reaches the user.

escalation    after the first sample of every task, which tasks get more votes (risky chunks, uncertain
              findings), within a share of what the first round spent
votes         the voters' findings on one task matched into one finding each, with how many found it
verification  a verifier (never a finding's own finder when `verifier_model` is set) argues against the
              findings no analyzer backs and that not every voter found, and gives a verdict with a reason
confidence    the one rule that turns votes, the verdict and analyzer backing into a finding's confidence, and
              the reasons the hover shows
"""
