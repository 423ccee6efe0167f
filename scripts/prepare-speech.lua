-- Prepares lesson 14's speech and noise in the cache (what ae.data.speech
-- does on first use), and says where it went:
--   ./aelab scripts/prepare-speech.lua [quick]
-- Remove the folder it names to make the data again.
local speech = require "aelab.speech"
local quick = arg[1] == "quick"
local dir, err = speech.prepare(quick, print)
if not dir then
  io.stderr:write(err, "\n")
  os.exit(1)
end
print("speech data: " .. dir)
