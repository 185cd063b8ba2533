// json-server middlewares (--middlewares faults.js) that break one promise of openapi.yaml, chosen
// by LIST_FAULT, as a misconfigured server would:
//   cap-limit          _limit above 25 is served as 25, silently (the document promises 100)
//   wrong-field        call_type filters call_status instead (a filter bound to the wrong field)
//   filters-on-page-1  filters apply to the first page only (later pages are of the unfiltered list)
module.exports = (req, res, next) => {
  const fault = process.env.LIST_FAULT
  const query = req.query
  if (fault === 'cap-limit' && Number(query._limit) > 25) query._limit = '25'
  if (fault === 'wrong-field' && 'call_type' in query) {
    query.call_status = query.call_type
    delete query.call_type
  }
  if (fault === 'filters-on-page-1' && Number(query._page) > 1) {
    for (const key of Object.keys(query)) if (!key.startsWith('_')) delete query[key]
  }
  next()
}
