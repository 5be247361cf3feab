-- Single-use marks of reveal tokens move into each principal's limiter object, where the redeem
-- commits the mark, the suspension check and its audit entry in one transaction (a token redeems
-- only for the principal it names). Tokens live at most REVEAL_TOKEN_TTL_SECONDS (≤ 300 s): one
-- marked here in the minutes before this deploys could be redeemed once more after it, within its
-- own expiry; nothing older can.
DROP TABLE reveal_redemptions;
