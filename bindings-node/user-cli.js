#!/usr/bin/env node
'use strict'
// The `unpod-calllogs` command: sync, export and list call logs (see `unpod-calllogs --help`).
require('./command.js')('unpod-calllogs', 'runUserCli')
