"""Running the service as a business: usage history, service activations and trials, the
operator's price list and the monthly billing CSV (issue 13, PRODUCT.md §1 and §2 "Billing")."""
