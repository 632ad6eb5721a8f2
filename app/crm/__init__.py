"""The sales funnel: pipelines and their stages, deals moving through them, refusal reasons."""
