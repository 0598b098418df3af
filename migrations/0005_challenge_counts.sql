-- Challenges are counted per service and UTC day as they are minted (README, "Ledger"):
-- revenue per day and the metrics read these counts, never the challenges themselves,
-- so unpaid traffic neither slows them down nor, once its rows are forgotten (after 30
-- days), goes missing from them. The count is kept by a trigger, so whichever Worker
-- writes the challenge (one deployed before this migration or after) counts it once.
-- forgotten_challenges (0004) is no longer read or written once the Worker that reads
-- these counts is deployed; it stays for the one before it until then.
CREATE TABLE challenge_counts (
  service TEXT NOT NULL,
  day TEXT NOT NULL,
  challenges INTEGER NOT NULL,
  PRIMARY KEY (service, day)
);
INSERT INTO challenge_counts (service, day, challenges)
  SELECT service, day, SUM(challenges) FROM (
    SELECT service, date(created_at, 'unixepoch') AS day, COUNT(*) AS challenges FROM challenges GROUP BY 1, 2
    UNION ALL
    SELECT service, day, challenges FROM forgotten_challenges
  ) GROUP BY service, day;
CREATE TRIGGER count_challenge AFTER INSERT ON challenges BEGIN
  INSERT INTO challenge_counts (service, day, challenges) VALUES (NEW.service, date(NEW.created_at, 'unixepoch'), 1)
    ON CONFLICT (service, day) DO UPDATE SET challenges = challenges + 1;
END;
