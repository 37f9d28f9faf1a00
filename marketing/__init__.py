"""The marketing loop: customer groups, campaigns with control groups, assignment, contacts,
evaluation and retraining. Writes go to the operational store (data.ops_store) only; customers
are chosen and described through the cube under the acting user's scope."""
