-- wrk script: POST /v1/events, batches of 500 view events, each batch with a new idempotency
-- key (thread id and counter), customers and products from small fixed sets.
local key = os.getenv("RECUR_KEY")
local thread_id = 0
local counter = 0
local tid = 0
setup = function(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end
request = function()
  counter = counter + 1
  local parts = {}
  for i = 1, 500 do
    parts[i] = string.format('{"type":"view","customer_id":"c%d","product_id":"p%d"}', (counter * 7 + i) % 997, i % 300)
  end
  local body = string.format('{"idempotency_key":"w%d-%d-%d","events":[%s]}', tid, counter, os.time(), table.concat(parts, ","))
  return wrk.format("POST", "/v1/events", {
    ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }, body)
end
