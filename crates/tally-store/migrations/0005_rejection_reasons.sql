-- A rejection is kept as the server sent it: its code and its reason in each language.
-- `reject_reason` holds the English reason from now on, `reject_reason_zh` the Chinese.
-- Rejections stored before held "中文 / English" in `reject_reason`: split them.
ALTER TABLE change_log ADD COLUMN reject_reason_zh TEXT;
UPDATE change_log
   SET reject_reason_zh = substr(reject_reason, 1, instr(reject_reason, ' / ') - 1),
       reject_reason = substr(reject_reason, instr(reject_reason, ' / ') + 3)
 WHERE reject_reason IS NOT NULL AND instr(reject_reason, ' / ') > 0;
