-- Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d).
-- One database per service; `python -m <service> migrate` would also create its own if missing.
CREATE DATABASE construisons_intake;
CREATE DATABASE construisons_review;
CREATE DATABASE construisons_incubation;
CREATE DATABASE construisons_notifications;
