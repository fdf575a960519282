// The runtime an application links to run compiled `.cnx` models (being written).
