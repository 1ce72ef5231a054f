-- Orleans ADO.NET providers read their SQL from this table once, at start-up.
-- Each later migration upserts the rows its provider needs, so re-running any of them is harmless.
-- Identifiers are unquoted on purpose: PostgreSQL folds them to lower case, and the providers'
-- own start-up query (SELECT QueryKey, QueryText FROM OrleansQuery) is unquoted as well.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL,
    QueryText varchar(8000) NOT NULL,
    CONSTRAINT pk_orleansquery PRIMARY KEY (QueryKey)
);
