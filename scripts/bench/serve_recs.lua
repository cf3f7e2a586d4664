-- wrk script: GET /v1/customers/{id}/recommendations?k=10 over the customer ids in ids.txt
-- (one per line), in turn, with the key in RECUR_KEY.
local ids = {}
for line in io.lines(os.getenv("RECUR_IDS") or "ids.txt") do ids[#ids + 1] = line end
local key = os.getenv("RECUR_KEY")
local n = 0
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format("GET", "/v1/customers/" .. id .. "/recommendations?k=10",
    { ["Authorization"] = "Bearer " .. key })
end
